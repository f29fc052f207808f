"""Shared test setup: every test runs against the built app (build/SA-ngrok-detection), not the source tree."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILT_APP = os.path.join(ROOT, "build", "SA-ngrok-detection")

if not os.path.exists(os.path.join(BUILT_APP, "bin", "ngrokscore.py")):
    raise pytest.UsageError("no built app at %s: run 'make test' (or 'make package' before pytest)" % BUILT_APP)

# The app's package as Splunk loads it, and the developer scripts (protocol driver, build).
sys.path.insert(0, os.path.join(BUILT_APP, "bin"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))


@pytest.fixture
def built_app():
    return BUILT_APP


@pytest.fixture
def lookups_dir(tmp_path):
    """An empty folder to write test lookups into (pass as lookups_dir= to the loaders)."""
    return str(tmp_path)
