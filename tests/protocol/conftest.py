"""Protocol test fixtures: interpreters to run the built command with, and private copies of the built app."""

import glob
import os
import shutil
import subprocess
import sys

import pytest

from ngrokscore_local import run  # noqa: F401  (re-exported for the tests)

# Splunk 9.x runs Python 3.9, Splunk 10.x Python 3.13; the dev interpreter is 3.11.
SPLUNK_PYTHONS = ("3.9", "3.13")


def _pyenv_root():
    try:
        return subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.path.expanduser("~/.pyenv")


def find_python(version):
    """Path of an installed CPython <version> (pyenv first, then PATH), or None."""
    candidates = sorted(glob.glob(os.path.join(_pyenv_root(), "versions", version + ".*", "bin", "python")))
    candidates.reverse()  # newest patch release first
    candidates += [path for path in (shutil.which("python" + version),) if path]
    for path in candidates:
        # A pyenv shim for a version that is not selected exists but fails: try each candidate for real.
        probe = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return path
    return None


@pytest.fixture(params=("dev",) + SPLUNK_PYTHONS, ids=lambda v: "python" + (v if v != "dev" else "-dev"))
def python(request):
    """The interpreter the command runs under: this one, then Python 3.9 and 3.13 where installed."""
    if request.param == "dev":
        return sys.executable
    path = find_python(request.param)
    if path is None:
        pytest.skip("Python %s is not installed here (pyenv install %s to test Splunk's interpreter)"
                    % (request.param, request.param))
    return path


@pytest.fixture
def app_copy(tmp_path, built_app):
    """A private copy of the built app, for tests that install their own lookups."""
    target = tmp_path / "SA-ngrok-detection"
    shutil.copytree(built_app, str(target))
    return target
