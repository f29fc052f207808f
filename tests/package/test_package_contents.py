"""The dist package is the app exactly as Splunk installs it: our files, splunklib vendored byte-identical."""

import base64
import csv
import hashlib
import os
import tarfile

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


def test_vendored_splunklib_is_byte_identical_to_the_released_wheel(built_app):
    lib = os.path.join(built_app, "lib")
    version = build.SPLUNK_SDK.split("==")[1]
    record = os.path.join(lib, "splunk_sdk-%s.dist-info" % version, "RECORD")
    checked = 0
    with open(record, encoding="utf-8") as handle:
        for path, digest, _ in csv.reader(handle):
            if not digest or not path.startswith("splunklib/"):
                continue
            algorithm, expected = digest.split("=", 1)
            with open(os.path.join(lib, path), "rb") as source:
                actual = base64.urlsafe_b64encode(hashlib.new(algorithm, source.read()).digest()).rstrip(b"=")
            assert actual.decode() == expected, path
            checked += 1
    assert checked > 40
    assert sorted(os.listdir(lib)) == ["splunk_sdk-%s.dist-info" % version, "splunklib"]


def test_the_build_is_reproducible(tmp_path):
    _, again = build.build(build_dir=str(tmp_path / "build"), dist_dir=str(tmp_path / "dist"))
    with open(TARBALL, "rb") as first, open(again, "rb") as second:
        assert hashlib.sha256(first.read()).digest() == hashlib.sha256(second.read()).digest()
