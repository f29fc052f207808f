"""The dist package is the app exactly as Splunk installs it: our files, splunklib vendored byte-identical."""

import base64
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

import build

TARBALL = os.path.join(build.DIST_DIR, "%s-%s.tgz" % (build.APP_ID, build.app_version()))


@pytest.fixture(scope="module")
def members():
    with tarfile.open(TARBALL) as archive:
        return {member.name: member for member in archive.getmembers()}


def test_everything_is_under_the_app_folder_with_plain_modes(members):
    for name, member in members.items():
        assert name == build.APP_ID or name.startswith(build.APP_ID + "/"), name
        assert member.isdir() or member.isfile(), name  # no links or devices
        assert member.mode == (0o755 if member.isdir() else 0o644), name
        assert member.uid == 0 and member.gid == 0 and member.uname == "" and member.gname == ""


def test_no_compiled_python_no_hidden_files_no_local_config(members):
    for name in members:
        parts = name.split("/")
        assert not name.endswith((".pyc", ".pyo")) and "__pycache__" not in parts, name
        assert not any(part.startswith(".") for part in parts), name
        assert "local" not in parts[1:2] and not name.endswith("local.meta"), name


def test_the_app_source_is_shipped_as_is(members):
    for directory, _, files in os.walk(build.SOURCE):
        for file_name in files:
            if file_name.endswith((".pyc", ".pyo")) or "__pycache__" in directory:
                continue
            relative = os.path.relpath(os.path.join(directory, file_name), build.SOURCE)
            assert "%s/%s" % (build.APP_ID, relative) in members, relative


def _record(lib, version):
    """RECORD of the vendored dist-info: {path: (algorithm, urlsafe-base64 digest)}."""
    entries = {}
    with open(os.path.join(lib, "splunk_sdk-%s.dist-info" % version, "RECORD"), encoding="utf-8") as handle:
        for path, digest, _ in csv.reader(handle):
            if digest:
                algorithm, expected = digest.split("=", 1)
                entries[path] = (algorithm, expected)
    return entries


def _digest(path, algorithm):
    with open(path, "rb") as source:
        return base64.urlsafe_b64encode(hashlib.new(algorithm, source.read()).digest()).rstrip(b"=").decode()


def _shipped(members):
    """Files of the package under the vendor folder, relative to it."""
    prefix = "%s/%s/" % (build.APP_ID, build.VENDOR_DIR.replace(os.sep, "/"))
    return sorted(name[len(prefix):] for name, member in members.items() if member.isfile() and name.startswith(prefix))


def test_the_cached_sdk_wheel_is_the_pinned_release():
    version = build.sdk_version()
    wheel = build.sdk_wheel(download=False)
    with open(wheel, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == build.SDK_WHEEL_SHA256[version]


def test_vendored_splunklib_is_byte_identical_to_the_released_wheel(built_app, members):
    lib = os.path.join(built_app, build.VENDOR_DIR)
    version = build.sdk_version()
    dist_info = "splunk_sdk-%s.dist-info" % version
    # The dist-info is the wheel's own (its RECORD is what every other file is checked against).
    with zipfile.ZipFile(build.sdk_wheel(download=False)) as wheel:
        wheel_dist_info = {name: wheel.read(name) for name in wheel.namelist() if name.startswith(dist_info + "/")}
    shipped = _shipped(members)
    assert sorted({name.split("/")[0] for name in shipped}) == [dist_info, "splunklib"]
    assert sorted(name for name in shipped if name.startswith(dist_info + "/")) == sorted(wheel_dist_info)
    for name, content in wheel_dist_info.items():
        with open(os.path.join(lib, name), "rb") as handle:
            assert handle.read() == content, name
    record = _record(lib, version)
    modules = [name for name in shipped if name.startswith("splunklib/")]
    for name in modules:
        assert name in record, "%s is not a file of the splunk-sdk %s wheel" % (name, version)
        assert _digest(os.path.join(lib, name), record[name][0]) == record[name][1], name
    # Only what the app imports: not the AI agent engine, not modular inputs, not the results reader.
    assert not any(name.startswith(("splunklib/ai/", "splunklib/modularinput/")) for name in modules), modules
    assert len(modules) < len([path for path in record if path.startswith("splunklib/")])


# Imports the app's modules with nothing but the built bin/ and bin/lib/ (and the standard library) on sys.path,
# plus every splunklib module the app's source names (some are imported lazily, inside functions), then lists the
# splunklib files that were loaded and the SDK version importlib.metadata reports (splunklib's binding reads it).
_LOADER = r"""
import importlib, importlib.metadata, json, os, re, sys
bin_dir, lib_dir = sys.argv[1], sys.argv[2]
sys.path[:0] = [lib_dir, bin_dir]
import sa_ngrok_detection.command, sa_ngrok_detection.alert
for folder, _, files in os.walk(os.path.join(bin_dir, "sa_ngrok_detection")):
    for name in files:
        if name.endswith(".py"):
            source = open(os.path.join(folder, name), encoding="utf-8").read()
            for module in re.findall(r"^\s*(?:from|import)\s+(splunklib[\w.]*)", source, re.MULTILINE):
                importlib.import_module(module)
loaded = sorted(os.path.relpath(m.__file__, lib_dir) for n, m in list(sys.modules.items())
                if n.split(".")[0] == "splunklib")
print(json.dumps({"loaded": loaded, "version": importlib.metadata.version("splunk-sdk")}))
"""


def test_the_vendored_splunklib_is_exactly_what_the_app_loads(built_app, members):
    lib = os.path.join(built_app, build.VENDOR_DIR)
    completed = subprocess.run([sys.executable, "-I", "-B", "-c", _LOADER, os.path.join(built_app, "bin"), lib],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["version"] == build.sdk_version()
    shipped = [name for name in _shipped(members) if name.startswith("splunklib/")]
    assert sorted(name.replace(os.sep, "/") for name in report["loaded"]) == shipped


def test_the_package_carries_the_apache_license_and_its_own_readme(members, built_app):
    assert build.APP_ID + "/LICENSE" in members and build.APP_ID + "/README.md" in members
    with open(build.LICENSE, "rb") as repository_copy, open(os.path.join(built_app, "LICENSE"), "rb") as shipped:
        text = shipped.read()
        assert text == repository_copy.read()
    assert b"Apache License" in text and b"Version 2.0, January 2004" in text
    with open(os.path.join(built_app, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    assert "Apache License 2.0" in readme and "LICENSE" in readme
    # The vendored SDK's own licence travels with it.
    assert os.path.exists(os.path.join(built_app, build.VENDOR_DIR, "splunk_sdk-%s.dist-info" % build.sdk_version(),
                                       "licenses", "LICENSE"))


def test_the_build_is_reproducible(tmp_path):
    _, again = build.build(build_dir=str(tmp_path / "build"), dist_dir=str(tmp_path / "dist"))
    with open(TARBALL, "rb") as first, open(again, "rb") as second:
        assert hashlib.sha256(first.read()).digest() == hashlib.sha256(second.read()).digest()


def _offline(command):
    """The command without network where the machine allows it (a new network namespace), and always with a pip
    that cannot reach an index or find a wheel: a build that needed to download anything fails."""
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_FIND_LINKS="", PIP_CONFIG_FILE=os.devnull)
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        command = ["unshare", "-n"] + command
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def test_a_build_with_the_cached_wheel_needs_no_network(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copy(build.sdk_wheel(download=False), str(cache))
    script = os.path.join(build.ROOT, "scripts", "build.py")
    completed = _offline([sys.executable, script, "--build-dir", str(tmp_path / "build"),
                          "--dist-dir", str(tmp_path / "dist"), "--cache-dir", str(cache)])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    with open(TARBALL, "rb") as first, open(str(tmp_path / "dist" / os.path.basename(TARBALL)), "rb") as second:
        assert first.read() == second.read()
    # The control: without the cached wheel the same offline build must fail, and say why.
    empty = tmp_path / "empty-cache"
    completed = _offline([sys.executable, script, "--build-dir", str(tmp_path / "build2"),
                          "--dist-dir", str(tmp_path / "dist2"), "--cache-dir", str(empty)])
    assert completed.returncode != 0
    assert "could not download splunk-sdk" in completed.stderr and "offline" in completed.stderr


def test_a_cached_wheel_that_does_not_match_its_pinned_hash_is_never_used(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    name = os.path.basename(build.sdk_wheel(download=False))
    (cache / name).write_bytes(b"not the released wheel")
    completed = _offline([sys.executable, os.path.join(build.ROOT, "scripts", "build.py"),
                          "--build-dir", str(tmp_path / "build"), "--dist-dir", str(tmp_path / "dist"),
                          "--cache-dir", str(cache)])
    assert completed.returncode != 0 and "could not download splunk-sdk" in completed.stderr
    assert not (cache / name).exists()
