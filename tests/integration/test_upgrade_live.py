"""An app upgrade keeps the admin's allowlist entries (docs/upgrades.md): entries added as Splunk Web adds them
(outputlookup to the ngrok_allowlist lookup definition, in the app's context), then the next build installed over
the app through splunkd's own installer (apps/local with update, what "Install app from file" with "Upgrade app"
and `splunk install app -update 1` do), and the entries are still there, byte for byte, and still used by ngrokscore.

The next build is this build with its app.conf version raised; afterwards the build under test is installed back
the same way and the allowlist put back as it was, so that no other test sees a difference.
"""

import os
import shutil

import pytest

import build
from splunk_docker import Archive, admin_allowlist, restore_file
from splunk_search import APP_ID, rest_content, rows_spl, run_search

pytestmark = pytest.mark.splunk

COLUMNS = ("dest", "user", "parent_process_name", "process", "reason", "owner", "expires")
PACKAGE_DIR = "/tmp/it-upgrade"


def package(built_app, version, workdir):
    """The built app packaged as the build packages it (scripts/build.py), with app.conf saying version."""
    copy = os.path.join(str(workdir), APP_ID)
    shutil.copytree(built_app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    app_conf = os.path.join(copy, "default", "app.conf")
    with open(app_conf, encoding="utf-8") as handle:
        text = handle.read()
    old = "version = %s" % build.app_version(built_app)
    assert old in text
    with open(app_conf, "w", encoding="utf-8") as handle:
        handle.write(text.replace(old, "version = %s" % version))
    tarball = os.path.join(str(workdir), "%s-%s.tgz" % (APP_ID, version))
    build.write_tarball(copy, tarball)
    with open(tarball, "rb") as handle:
        return handle.read()


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


def test_an_upgrade_keeps_the_admins_allowlist_entries(container_splunk, service, admin, built_app, run_id,
                                                        tmp_path):
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

        install(splunk, admin, package(built_app, upgraded_version, tmp_path),
                "%s-%s.tgz" % (APP_ID, upgraded_version))
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
