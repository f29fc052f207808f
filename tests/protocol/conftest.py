"""Protocol test fixtures: interpreters to run the built command with, and private copies of the built app."""

import functools
import shutil
import sys

import pytest

from interpreters import find_python
from ngrokscore_local import run  # noqa: F401  (re-exported for the tests)

# Splunk 9.x runs Python 3.9, Splunk 10.x Python 3.13; the dev interpreter is 3.11.
SPLUNK_PYTHONS = ("3.9", "3.13")


# Asked once per version and session: each question starts pyenv and the interpreter to check them.
_found = functools.lru_cache(maxsize=None)(find_python)


@pytest.fixture(params=("dev",) + SPLUNK_PYTHONS, ids=lambda v: "python" + (v if v != "dev" else "-dev"))
def python(request):
    """The interpreter the command runs under: this one, then Python 3.9 and 3.13 where installed."""
    if request.param == "dev":
        return sys.executable
    path = _found(request.param)
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
