#!/usr/bin/env python3
"""Builds the app as Splunk installs it: build/SA-ngrok-detection/ and dist/SA-ngrok-detection-<version>.tgz.

Copies app/, vendors splunklib into lib/ with pip (byte-identical files, dist-info kept, no .pyc), normalises
file modes and writes a reproducible tarball (sorted entries, fixed times and owners).
"""

import argparse
import gzip
import io
import os
import shutil
import subprocess
import sys
import tarfile

from addonfactory_splunk_conf_parser_lib import TABConfigParser

import conf_generator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_ID = "SA-ngrok-detection"
SOURCE = os.path.join(ROOT, "app")
BUILD_DIR = os.path.join(ROOT, "build")
DIST_DIR = os.path.join(ROOT, "dist")
# splunk-sdk 3.0.0, chosen by evidence (README, "Which splunk-sdk"): AppInspect 4.3.1 trusts every one of its
# files, which gives the cleanest report (2.1.1 draws an "outdated SDK" warning, 3.0.1 a code warning because its
# files are not in AppInspect's trusted list yet), and its search command modules run on Python 3.9 (Splunk 9.x)
# and 3.13 (Splunk 10.x) although the wheel declares Requires-Python >= 3.13. pip is told the target interpreter
# so that it accepts the wheel from any development Python.
SPLUNK_SDK = "splunk-sdk==3.0.0"
SDK_TARGET_PYTHON = "3.13"
# Files never shipped: compiled Python, editor and OS litter.
_SKIPPED_SUFFIXES = (".pyc", ".pyo", "~", ".swp")
_SKIPPED_NAMES = ("__pycache__", ".DS_Store")
_FIXED_MTIME = 1767225600  # 2026-01-01T00:00:00Z, so that the same sources give the same tarball


def app_version(app_dir=SOURCE):
    parser = TABConfigParser()
    parser.read(os.path.join(app_dir, "default", "app.conf"))
    return parser.get("launcher", "version")


def _ignore(directory, names):
    return [name for name in names
            if name in _SKIPPED_NAMES or name.endswith(_SKIPPED_SUFFIXES) or name.startswith(".")]


def vendor_splunklib(lib_dir, sdk=SPLUNK_SDK):
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
               "--no-compile", "--only-binary=:all:", "--python-version", SDK_TARGET_PYTHON, "--ignore-requires-python",
               "--target", lib_dir, sdk]
    subprocess.run(command, check=True)
    for directory, subdirs, files in os.walk(lib_dir):
        for name in list(subdirs):
            if name == "__pycache__" or name == "bin":
                shutil.rmtree(os.path.join(directory, name))
                subdirs.remove(name)
        for name in files:
            if name.endswith((".pyc", ".pyo")):
                os.remove(os.path.join(directory, name))


def normalise_modes(root):
    for directory, subdirs, files in os.walk(root):
        os.chmod(directory, 0o755)
        for name in files:
            os.chmod(os.path.join(directory, name), 0o644)


def write_tarball(app_dir, tarball):
    def reset(info):
        info.mtime = _FIXED_MTIME
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        base = os.path.dirname(app_dir)
        paths = [app_dir]
        for directory, subdirs, files in os.walk(app_dir):
            subdirs.sort()
            paths.extend(os.path.join(directory, name) for name in sorted(subdirs + files))
        for path in sorted(set(paths)):
            archive.add(path, arcname=os.path.relpath(path, base), recursive=False, filter=reset)
    with open(tarball, "wb") as handle:
        with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=_FIXED_MTIME) as compressed:
            compressed.write(buffer.getvalue())


def build(sdk=SPLUNK_SDK, build_dir=BUILD_DIR, dist_dir=DIST_DIR):
    app_dir = os.path.join(build_dir, APP_ID)
    if os.path.exists(app_dir):
        shutil.rmtree(app_dir)
    os.makedirs(build_dir, exist_ok=True)
    shutil.copytree(SOURCE, app_dir, ignore=_ignore)
    conf_generator.render(app_dir)  # conf keys that carry detection metadata, from detection.py
    vendor_splunklib(os.path.join(app_dir, "lib"), sdk)
    normalise_modes(app_dir)
    os.makedirs(dist_dir, exist_ok=True)
    tarball = os.path.join(dist_dir, "%s-%s.tgz" % (APP_ID, app_version(app_dir)))
    write_tarball(app_dir, tarball)
    return app_dir, tarball


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdk", default=SPLUNK_SDK, help="pip requirement for the vendored SDK (default %(default)s)")
    parser.add_argument("--build-dir", default=BUILD_DIR)
    parser.add_argument("--dist-dir", default=DIST_DIR)
    args = parser.parse_args()
    app_dir, tarball = build(args.sdk, args.build_dir, args.dist_dir)
    print("built %s\npackaged %s" % (os.path.relpath(app_dir, ROOT), os.path.relpath(tarball, ROOT)))


if __name__ == "__main__":
    main()
