"""Shared test setup: every test runs against the built app (build/SA-ngrok-detection), not the source tree."""

import os
import subprocess
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


@pytest.fixture(scope="session", autouse=True)
def built_app_bytecode():
    """The built app's byte-code, compiled once per interpreter the tests run it under (next to the sources in
    build/, as Python itself would write it; the package in dist/ is already made and never holds any). The
    protocol driver and the alert runners start every command with PYTHONDONTWRITEBYTECODE=1 so that a run never
    writes into the app; without this each of the suite's hundreds of runs would compile the app and splunklib
    again. Behaviour is the same either way: Python uses a .pyc only while it matches its source."""
    from interpreters import find_python
    pythons = {sys.executable} | {path for path in map(find_python, ("3.9", "3.13")) if path}
    for python in sorted(pythons):
        # -qq: a module an old interpreter cannot compile is left to fail where the tests import it, as before.
        subprocess.run([python, "-m", "compileall", "-qq", os.path.join(BUILT_APP, "bin")], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
