"""The development set-up (scripts/setup_env.sh, the Makefile): the right interpreter or a clear message, a venv
rebuilt when the interpreter or the pins change and never reused half-built, and a help that lists every target.

Each test runs a copy of setup_env.sh in a scratch project folder with its own requirements files (empty, or a pin
that cannot install), so the real .venv is never touched; venvs without pip where nothing is installed."""

import os
import re
import shutil
import subprocess
import sys

import pytest
from interpreters import find_python

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETUP_ENV = os.path.join(ROOT, "scripts", "setup_env.sh")
MAKEFILE = os.path.join(ROOT, "Makefile")

pytestmark = pytest.mark.slow


def _need(version):
    path = find_python(version)
    if path is None:
        pytest.skip("Python %s is not installed here (pyenv install %s)" % (version, version))
    return path


@pytest.fixture
def project(tmp_path):
    """A scratch project: scripts/setup_env.sh and requirements files that install nothing."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(SETUP_ENV, str(tmp_path / "scripts" / "setup_env.sh"))
    for layer in ("build", "test", "fuzz"):
        (tmp_path / ("requirements-%s.txt" % layer)).write_text("# nothing to install\n")
    return tmp_path


def _setup(project, python, profile="build", extra_env=None, with_pip=False):
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    if not with_pip:
        env["SETUP_ENV_VENV_ARGS"] = "--without-pip"  # the scratch requirements install nothing: pip is not needed
    env.update(extra_env or {})
    completed = subprocess.run(["bash", "scripts/setup_env.sh", python, ".venv", profile], cwd=str(project),
                               capture_output=True, text=True, env=env, timeout=600)
    return completed.returncode, completed.stdout + completed.stderr


def _recorded_python(project):
    with open(str(project / ".venv" / ".sa-env" / "python"), encoding="utf-8") as handle:
        return handle.read().split()[0]


def test_a_new_venv_records_its_interpreter_and_a_second_run_reuses_it(project):
    python = _need("3.11")
    code, output = _setup(project, python)
    assert code == 0, output
    assert _recorded_python(project).startswith("3.11.")
    marker = project / ".venv" / "kept"
    marker.write_text("")
    code, output = _setup(project, "")  # no PYTHON: keep the interpreter the venv was built with
    assert code == 0, output
    assert marker.exists() and "rebuilding" not in output and "creating" not in output


def test_another_interpreter_rebuilds_the_venv(project):
    first, second = _need("3.9"), _need("3.13")
    code, output = _setup(project, first)
    assert code == 0, output
    code, output = _setup(project, second)
    assert code == 0, output
    assert "rebuilding .venv: it was built with 3.9." in output
    assert _recorded_python(project).startswith("3.13.")
    venv_python = str(project / ".venv" / "bin" / "python")
    assert subprocess.run([venv_python, "-c", "import sys; assert sys.version_info[:2] == (3, 13)"]).returncode == 0


def test_changed_pins_rebuild_the_venv(project):
    python = _need("3.11")
    assert _setup(project, python)[0] == 0
    (project / ".venv" / "stale").write_text("")
    (project / "requirements-build.txt").write_text("# nothing to install, but a different file\n")
    code, output = _setup(project, python)
    assert code == 0, output
    assert "rebuilding .venv: requirements-build.txt changed" in output
    assert not (project / ".venv" / "stale").exists()


def test_a_failed_install_removes_the_venv_and_says_why_in_a_few_short_lines(project):
    python = _need("3.11")
    (project / "requirements-build.txt").write_text("addonfactory-splunk-conf-parser-lib==0.0.0.999\n")
    offline_pip = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "", "PIP_CONFIG_FILE": os.devnull}  # fails fast
    if subprocess.run([python, "-c", "import pip"], capture_output=True).returncode == 0:
        # The interpreter's own pip, seen through the venv, fails the same install without ensurepip copying a
        # pip into the venv first (most of this test's time).
        offline_pip["SETUP_ENV_VENV_ARGS"] = "--without-pip --system-site-packages"
    code, output = _setup(project, python, extra_env=offline_pip, with_pip=True)
    assert code != 0
    assert not (project / ".venv").exists()
    assert "installing requirements-build.txt failed" in output and "removed" in output
    assert max(len(line) for line in output.splitlines()) <= 400, "a pip line was not shortened"
    assert (project / ".venv.log").exists()  # pip's full output stays available


def test_an_interrupted_set_up_is_never_reused(project):
    python = _need("3.11")
    assert _setup(project, python)[0] == 0
    state = project / ".venv" / ".sa-env"
    (state / "installing").write_text("requirements-test.txt")  # what a killed pip install leaves behind
    (project / ".venv" / "half").write_text("")
    code, output = _setup(project, python)
    assert code == 0, output
    assert "rebuilding .venv: an earlier install into it (requirements-test.txt) did not finish" in output
    assert not (project / ".venv" / "half").exists() and not (state / "installing").exists()
    # A venv without the record at all (created by hand, or by an older set-up) is rebuilt too.
    shutil.rmtree(str(state))
    code, output = _setup(project, python)
    assert code == 0 and "rebuilding .venv: it was not completed" in output, output


def test_the_test_tools_need_python_3_11_and_the_message_says_so(project):
    python = _need("3.9")
    code, output = _setup(project, python, "test")
    assert code != 0
    assert "need Python 3.11 or newer" in output and "3.9." in output and "PYTHON=python3.11" in output
    assert not (project / ".venv").exists()
    code, output = _setup(project, python, "build")  # building and running the app is fine with 3.9
    assert code == 0, output


def test_a_python_without_venv_support_gets_the_debian_package_name(project, tmp_path):
    python = _need("3.11")
    # Debian and Ubuntu strip ensurepip from python3 until python3-venv is installed: shadow it the same way.
    shadow = tmp_path / "no-ensurepip"
    (shadow / "ensurepip").mkdir(parents=True)
    (shadow / "ensurepip" / "__init__.py").write_text("raise ImportError('No module named ensurepip')\n")
    code, output = _setup(project, python, extra_env={"PYTHONPATH": str(shadow)})
    assert code != 0
    assert "cannot create a virtual environment" in output and "apt-get install python3-venv" in output
    assert not (project / ".venv").exists()


def test_a_missing_interpreter_is_named(project):
    code, output = _setup(project, "python3.77")
    assert code != 0 and "no interpreter 'python3.77'" in output


def test_make_help_lists_every_target_with_one_line():
    with open(MAKEFILE, encoding="utf-8") as handle:
        makefile = handle.read()
    phony = set(re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE).group(1).split())
    completed = subprocess.run(["make", "-s", "-C", ROOT, "help"], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    listed = {}
    for line in completed.stdout.splitlines()[1:]:
        name, _, description = line.strip().partition(" ")
        listed[name] = description.strip()
    assert set(listed) == phony
    assert all(listed.values()), listed
    # `make` alone shows the same list rather than starting a build.
    assert subprocess.run(["make", "-s", "-C", ROOT], capture_output=True, text=True).stdout == completed.stdout


def test_the_interpreter_minimums_in_the_script_match_the_pins():
    """The versions setup_env.sh demands are the Requires-Python of the pinned tools (read from the installed
    distributions of this venv, which make test built)."""
    from importlib import metadata
    with open(SETUP_ENV, encoding="utf-8") as handle:
        script = handle.read()
    minimum = dict(re.findall(r"^  (build|test|fuzz)\) layers=\"[^\"]*\"; minimum=\"([\d.]+)\"", script, re.MULTILINE))
    assert minimum == {"build": "3.9", "test": "3.11", "fuzz": "3.11"}

    def floor(distribution):
        spec = metadata.metadata(distribution).get("Requires-Python") or ""
        found = re.search(r">=\s*([\d.]+)", spec)
        return tuple(int(part) for part in found.group(1).split(".")[:2]) if found else (3, 0)

    build_floor = max(floor(name) for name in ("addonfactory-splunk-conf-parser-lib",))
    test_floor = max(floor(name) for name in ("pytest", "hypothesis", "splunk-appinspect", "docker"))
    assert build_floor <= (3, 9)  # 3.9 is what Splunk 9.x runs the command with
    assert test_floor == tuple(int(part) for part in minimum["test"].split("."))
    assert sys.version_info[:2] >= test_floor
