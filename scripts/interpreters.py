"""Finding an installed CPython by its minor version (pyenv first, then PATH), for tests and tools that run the
built command under the interpreters Splunk uses (3.9 for 9.x, 3.13 from 10.2)."""

import glob
import os
import shutil
import subprocess


def pyenv_root():
    try:
        return subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.path.expanduser("~/.pyenv")


def find_python(version):
    """Path of an installed CPython <major.minor>, newest patch release first, or None."""
    candidates = sorted(glob.glob(os.path.join(pyenv_root(), "versions", version + ".*", "bin", "python")))
    candidates.reverse()
    candidates += [path for path in (shutil.which("python" + version),) if path]
    for path in candidates:
        # A pyenv shim for a version that is not selected exists but fails: try each candidate for real.
        probe = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return path
    return None
