"""An app upgrade keeps the admin's allowlist entries (docs/upgrades.md): entries added as Splunk Web adds them
(outputlookup to the ngrok_allowlist lookup definition, in the app's context), then the next build installed over
the app through splunkd's own installer (apps/local with update, what "Install app from file" with "Upgrade app"
and `splunk install app -update 1` do), and the entries are still there, byte for byte, and still used by ngrokscore.

The next build is this build with its app.conf version raised; afterwards the build under test is installed back
the same way and the allowlist put back as it was, so that no other test sees a difference.
"""

import io
import os
import tarfile

import pytest

import build
from splunk_docker import Archive, admin_allowlist, restore_file
from splunk_search import APP_ID, rest_content, rows_spl, run_search

pytestmark = pytest.mark.splunk

COLUMNS = ("dest", "user", "parent_process_name", "process", "reason", "owner", "expires")
PACKAGE_DIR = "/tmp/it-upgrade"


def package(built_app, version):
    """The built app as a .tgz whose app.conf says version (every other byte as built)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for directory, subdirs, files in os.walk(built_app):
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(".pyc"):
                    continue
                path = os.path.join(directory, name)
                arcname = os.path.join(APP_ID, os.path.relpath(path, built_app))
                with open(path, "rb") as handle:
                    data = handle.read()
                if arcname == os.path.join(APP_ID, "default", "app.conf"):
                    old = build.app_version(built_app)
                    data = data.replace(("version = %s" % old).encode(), ("version = %s" % version).encode())
                    assert ("version = %s" % version).encode() in data
                info = tarfile.TarInfo(arcname)
                info.size, info.mode = len(data), os.stat(path).st_mode & 0o777
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def install(splunk, admin, data, file_name):
    """Installs a package through splunkd's app installer, as an upgrade, and restarts splunkd when it asks to."""
    archive = Archive()
    archive.add_bytes("it-upgrade/" + file_name, data)
    splunk.container.container.put_archive("/tmp", archive.getvalue())  # /tmp/it-upgrade/<file_name>
    admin.post("apps/local", name="%s/%s" % (PACKAGE_DIR, file_name), filename="true", update="true")
    if admin.restart_required:
        admin.restart(timeout=600)


def next_version(version):
    parts = version.split(".")
    return ".".join(parts[:-1] + [str(int(parts[-1]) + 1)])


@pytest.fixture
def container_splunk(splunk):
    if splunk.container is None:
        pytest.skip("the upgrade test installs packages and puts the app back inside the suite's own container: "
                    "it needs Docker mode")
    return splunk


def test_an_upgrade_keeps_the_admins_allowlist_entries(container_splunk, service, admin, built_app, run_id):
    splunk = container_splunk
    path, original = admin_allowlist(splunk.container)
    built_version = build.app_version(built_app)
    upgraded_version = next_version(built_version)
    entries = [{"dest": "it-upgrade-%s-%d" % (run_id, number), "user": "*", "parent_process_name": "bash",
                "process": "ngrok http 300%d*" % number, "reason": "kept across upgrades %s %d" % (run_id, number),
                "owner": "it@example.com", "expires": "2099-12-31"} for number in (1, 2)]
    try:
        written = run_search(service, rows_spl(entries) + " | table %s | outputlookup append=true ngrok_allowlist"
                             % " ".join(COLUMNS))
        assert not written.errors, written
        _, before = admin_allowlist(splunk.container)
        assert before is not None

        install(splunk, admin, package(built_app, upgraded_version), "%s-%s.tgz" % (APP_ID, upgraded_version))
        assert rest_content(admin, "apps/local/" + APP_ID)["version"] == upgraded_version

        assert admin_allowlist(splunk.container)[1] == before  # the admin's file, byte for byte
        listed = run_search(service, '| inputlookup ngrok_allowlist | search reason="kept across upgrades %s *"'
                            % run_id)
        assert not listed.errors, listed
        assert sorted(tuple(row.get(column, "") for column in COLUMNS) for row in listed.rows) == sorted(
            tuple(entry[column] for column in COLUMNS) for entry in entries)
        finding = {"dest": entries[0]["dest"], "user": "dev", "parent_process_name": "bash", "process_name": "ngrok",
                   "process": "ngrok http 3001 --log stdout"}
        scored = run_search(service, rows_spl([finding]) + " | ngrokscore")
        assert not scored.errors, scored
        assert [(row["allowlisted"], row["allowlist_reason"]) for row in scored.rows] == [("true",
                                                                                             entries[0]["reason"])]
    finally:
        # The build under test back, the same way, and the allowlist as it was.
        with open(os.path.join(os.path.dirname(os.path.dirname(built_app)), "dist",
                               "%s-%s.tgz" % (APP_ID, built_version)), "rb") as handle:
            install(splunk, admin, handle.read(), "%s-%s.tgz" % (APP_ID, built_version))
        restore_file(splunk.container, path, original)
    assert rest_content(admin, "apps/local/" + APP_ID)["version"] == built_version
