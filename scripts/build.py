"""Builds the app as Splunk installs it: build/SA-ngrok-detection/ and dist/SA-ngrok-detection-<version>.tgz.

Copies app/ and the repository's LICENSE, vendors the splunklib modules the app imports into bin/lib/ (byte-identical
to the released wheel, its dist-info kept, no .pyc), normalises file modes and writes a reproducible tarball (sorted
entries, fixed times and owners). The splunk-sdk wheel is downloaded once with pip, checked against its pinned
SHA-256 and kept in .cache/wheels/: later builds run offline.
"""

import argparse
import ast
import gzip
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

from addonfactory_splunk_conf_parser_lib import TABConfigParser

import conf_generator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_ID = "SA-ngrok-detection"
SOURCE = os.path.join(ROOT, "app")
LICENSE = os.path.join(ROOT, "LICENSE")
BUILD_DIR = os.path.join(ROOT, "build")
DIST_DIR = os.path.join(ROOT, "dist")
CACHE_DIR = os.path.join(ROOT, ".cache", "wheels")
# splunk-sdk 3.0.0, chosen by evidence (docs/development.md, "Which splunk-sdk"): AppInspect 4.3.1 trusts every one of its
# files, which gives the cleanest report (2.1.1 draws an "outdated SDK" warning, 3.0.1 a code warning because its
# files are not in AppInspect's trusted list yet), and its search command modules run on Python 3.9 (Splunk 9.x)
# and 3.13 (Splunk 10.x) although the wheel declares Requires-Python >= 3.13. pip is told the target interpreter
# so that it fetches the wheel from any development Python.
SPLUNK_SDK = "splunk-sdk==3.0.0"
SDK_TARGET_PYTHON = "3.13"
# SHA-256 of the released wheels (as pip downloaded them from PyPI, which checks the index's own hashes).
SDK_WHEEL_SHA256 = {
    "3.0.0": "e70c08f7370c3ff38a41ea0c014fc1fff360818718d76e7eb2b75e42c6189cf4",
}
# Where splunklib lives in the app. Under bin/ because Splunk's knowledge bundle carries an app's bin/ (and
# lookups/, *.conf, metadata/) to the indexers, where this distributable streaming command runs, and not its lib/:
# distsearch.conf.spec, [replicationAllowlist]: "files that do not match an allow list entry are not replicated";
# the default entries and their source are in tests/protocol/data/splunk_default_bundle_replication.conf. The
# alternative, an allowlist entry in the app's own distsearch.conf, was not chosen: the spec says those lists
# "are applied globally across all configuration data, not to any particular application", so the entry would be a
# setting of the whole search head rather than of this app. AppInspect 4.3.1 does not model the
# allow list at all (App.get_non_distributed_files reads only an app's deny list and treats every other file a
# command imports as run on the indexer tier), so either layout passes it: the knowledge bundle test is the proof.
VENDOR_DIR = os.path.join("bin", "lib")
# Files never shipped: compiled Python, editor and OS litter.
_SKIPPED_SUFFIXES = (".pyc", ".pyo", "~", ".swp")
_SKIPPED_NAMES = ("__pycache__", ".DS_Store")
_FIXED_MTIME = 1767225600  # 2026-01-01T00:00:00Z, so that the same sources give the same tarball


class BuildError(Exception):
    """A build step failed; the message says what and how to fix it."""


def app_version(app_dir=SOURCE):
    parser = TABConfigParser()
    parser.read(os.path.join(app_dir, "default", "app.conf"))
    return parser.get("launcher", "version")


def _ignore(directory, names):
    return [name for name in names
            if name in _SKIPPED_NAMES or name.endswith(_SKIPPED_SUFFIXES) or name.startswith(".")]


def sdk_version(sdk=SPLUNK_SDK):
    name, _, version = sdk.partition("==")
    if name.strip().lower().replace("_", "-") != "splunk-sdk" or not version:
        raise BuildError("the SDK must be given as splunk-sdk==<version>, not %r" % sdk)
    return version.strip()


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sdk_wheel(sdk=SPLUNK_SDK, cache_dir=CACHE_DIR, download=True):
    """The path of the splunk-sdk wheel in the cache, downloaded with pip the first time and checked by its hash."""
    version = sdk_version(sdk)
    expected = SDK_WHEEL_SHA256.get(version)
    name = "splunk_sdk-%s-py3-none-any.whl" % version
    path = os.path.join(cache_dir, name)
    if os.path.exists(path):
        if expected is None or _sha256(path) == expected:
            return path
        os.remove(path)  # a corrupt or substituted file is never used
    if not download:
        raise BuildError("%s is not in %s" % (name, cache_dir))
    os.makedirs(cache_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as incoming:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                   "--only-binary=:all:", "--python-version", SDK_TARGET_PYTHON, "--dest", incoming,
                   "splunk-sdk==%s" % version]
        completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if completed.returncode != 0:
            tail = "\n".join(line[:300] for line in completed.stdout.strip().splitlines()[-5:])
            raise BuildError("could not download splunk-sdk %s with pip (is PyPI reachable?); after one successful "
                             "build the wheel is cached in %s and builds work offline. pip said:\n%s"
                             % (version, cache_dir, tail))
        downloaded = os.path.join(incoming, name)
        if not os.path.exists(downloaded):
            raise BuildError("pip did not download %s (got %s)" % (name, ", ".join(os.listdir(incoming))))
        actual = _sha256(downloaded)
        if expected is not None and actual != expected:
            raise BuildError("%s has SHA-256 %s, not the pinned %s: refusing to vendor it" % (name, actual, expected))
        if expected is None:
            print("warning: splunk-sdk %s has no pinned hash in scripts/build.py (SHA-256 %s)" % (version, actual))
        os.replace(downloaded, path)
    return path


def _python_files(directory):
    for folder, subdirs, files in os.walk(directory):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def _imported_modules(source, module, is_package):
    """Absolute names of the modules an import statement anywhere in ``source`` may load (with their parents),
    and, for ``from X import y``, X.y too (y may be a submodule). Imports inside functions count."""
    package = module if is_package else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] if node.level > 1 else parts)
                target = base + ("." + node.module if node.module else "")
            else:
                target = node.module
            names.add(target)
            names.update(target + "." + alias.name for alias in node.names if alias.name != "*")
    with_parents = set()
    for name in names:
        parts = name.split(".")
        with_parents.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    return with_parents


def splunklib_files_needed(wheel_path, app_bin=os.path.join(SOURCE, "bin")):
    """The wheel's splunklib files that the app's code imports, directly or through splunklib itself."""
    with zipfile.ZipFile(wheel_path) as wheel:
        modules = {}  # module name -> (path in the wheel, is a package)
        for path in wheel.namelist():
            if path.startswith("splunklib/") and path.endswith(".py"):
                name = path[:-3].replace("/", ".")
                is_package = name.endswith(".__init__")
                modules[name[:-len(".__init__")] if is_package else name] = (path, is_package)
        wanted = set()
        for path in _python_files(app_bin):
            with open(path, encoding="utf-8") as handle:
                wanted |= _imported_modules(handle.read(), "", False)
        pending = sorted(name for name in wanted if name == "splunklib" or name.startswith("splunklib."))
        needed = set()
        while pending:
            name = pending.pop()
            if name in needed or name not in modules:
                continue  # a name imported from a module rather than a submodule
            needed.add(name)
            path, is_package = modules[name]
            imported = _imported_modules(wheel.read(path).decode("utf-8"), name, is_package)
            pending.extend(sorted(n for n in imported if n.startswith("splunklib") and n not in needed))
    if "splunklib" not in needed:
        raise BuildError("the app imports no splunklib module from %s" % app_bin)
    return sorted(modules[name][0] for name in needed)


def vendor_splunklib(lib_dir, wheel_path, app_bin=os.path.join(SOURCE, "bin")):
    """Extracts the needed splunklib files and the wheel's dist-info, byte for byte, into lib_dir.

    The dist-info stays next to splunklib: AppInspect reads the SDK version from its METADATA, and splunklib's
    binding reads its own version through importlib.metadata for the User-Agent of every REST call.
    """
    files = splunklib_files_needed(wheel_path, app_bin)
    with zipfile.ZipFile(wheel_path) as wheel:
        dist_info = [path for path in wheel.namelist()
                     if path.split("/")[0].endswith(".dist-info") and not path.endswith("/")]
        for path in files + dist_info:
            target = os.path.join(lib_dir, *path.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(wheel.read(path))
    return files


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


def build(sdk=SPLUNK_SDK, build_dir=BUILD_DIR, dist_dir=DIST_DIR, cache_dir=CACHE_DIR):
    wheel = sdk_wheel(sdk, cache_dir)
    app_dir = os.path.join(build_dir, APP_ID)
    if os.path.exists(app_dir):
        shutil.rmtree(app_dir)
    os.makedirs(build_dir, exist_ok=True)
    shutil.copytree(SOURCE, app_dir, ignore=_ignore)
    conf_generator.render(app_dir)  # conf keys that carry detection metadata, from detection.py
    shutil.copyfile(LICENSE, os.path.join(app_dir, "LICENSE"))
    vendor_splunklib(os.path.join(app_dir, VENDOR_DIR), wheel)
    normalise_modes(app_dir)
    os.makedirs(dist_dir, exist_ok=True)
    tarball = os.path.join(dist_dir, "%s-%s.tgz" % (APP_ID, app_version(app_dir)))
    write_tarball(app_dir, tarball)
    return app_dir, tarball


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdk", default=SPLUNK_SDK, help="splunk-sdk==<version> to vendor (default %(default)s)")
    parser.add_argument("--build-dir", default=BUILD_DIR)
    parser.add_argument("--dist-dir", default=DIST_DIR)
    parser.add_argument("--cache-dir", default=CACHE_DIR, help="where the SDK wheel is kept (default %(default)s)")
    args = parser.parse_args()
    try:
        app_dir, tarball = build(args.sdk, args.build_dir, args.dist_dir, args.cache_dir)
    except BuildError as error:
        sys.exit("build failed: %s" % error)
    print("built %s\npackaged %s" % (os.path.relpath(app_dir, ROOT), os.path.relpath(tarball, ROOT)))


if __name__ == "__main__":
    main()
