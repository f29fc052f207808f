"""ngrokscore runs on the indexers from Splunk's knowledge bundle, which holds only what the default replication
allow list lets through (data/splunk_default_bundle_replication.conf, with its source). The built app is filtered
through those patterns into a search peer's bundle folder, and the command is run from there through the protocol
driver, as an indexer runs it."""

import os
import re
import shutil
import subprocess

import pytest

import build
from ngrokscore_local import ProtocolError, read_input, run

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, "data", "splunk_default_bundle_replication.conf")
SAMPLE = os.path.join(build.ROOT, "samples", "ngrok_detections.csv")


def _read_rules(path=RULES):
    stanzas, current = {}, None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                current = stanzas.setdefault(line.strip("[]"), {})
            else:
                name, _, value = line.partition("=")
                current[name.strip()] = value.strip()
    return stanzas


def _splunk_pattern(pattern):
    """A Splunk path pattern as a Python regex: '...' anything, '*' anything but '/', '.' a literal dot."""
    out, index = [], 0
    while index < len(pattern):
        if pattern.startswith("...", index):
            out.append(".*")
            index += 3
            continue
        char = pattern[index]
        out.append({"*": "[^/]*", ".": r"\."}.get(char, char))
        index += 1
    return re.compile("".join(out))


class Bundle(object):
    """Splunk's default bundle replication rules."""

    def __init__(self, rules=None):
        rules = rules or _read_rules()
        self.allow = {name: _splunk_pattern(value) for name, value in rules["replicationAllowlist"].items()}
        self.deny = [_splunk_pattern(value) for value in rules["replicationDenylist"].values()]
        self.refined_confs = {name[len("replicate."):] for name, value in rules["replicationSettings:refineConf"].items()
                              if value == "true"}

    def carries(self, path):
        """Whether the file at ``path`` (relative to $SPLUNK_HOME/etc) is in the knowledge bundle."""
        if any(pattern.match(path) for pattern in self.deny):
            return False
        for name, pattern in self.allow.items():
            if pattern.match(path):
                if name.startswith("refine.") and path.endswith(".conf"):
                    if os.path.basename(path)[:-len(".conf")] in self.refined_confs:
                        return True
                    continue
                return True
        return False

    def replicate(self, app_dir, peer_dir):
        """Copies what the bundle carries of ``app_dir`` into a search peer's bundle folder; returns the app's copy
        there and the relative paths left behind."""
        app_id = os.path.basename(os.path.normpath(app_dir))
        left_behind = []
        for folder, subdirs, files in os.walk(app_dir):
            subdirs.sort()
            for name in sorted(files):
                relative = os.path.relpath(os.path.join(folder, name), app_dir).replace(os.sep, "/")
                if "__pycache__" in relative.split("/"):
                    continue  # bytecode compiled on this machine is not part of the package
                if self.carries("apps/%s/%s" % (app_id, relative)):
                    target = os.path.join(peer_dir, "apps", app_id, *relative.split("/"))
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    shutil.copyfile(os.path.join(folder, name), target)
                else:
                    left_behind.append(relative)
        return os.path.join(peer_dir, "apps", app_id), left_behind


@pytest.fixture(scope="module")
def bundle():
    return Bundle()


def test_the_rules_read_as_the_spec_describes_them(bundle):
    app = "apps/SA-ngrok-detection/"
    for carried in ("bin/ngrokscore.py", "bin/lib/splunklib/__init__.py", "bin/sa_ngrok_detection/enrich.py",
                    "lookups/ngrok_allowlist.csv", "default/commands.conf", "default/transforms.conf",
                    "metadata/default.meta", "local/props.conf"):
        assert bundle.carries(app + carried), carried
    for dropped in ("lib/splunklib/__init__.py", "lib/splunk_sdk-3.0.0.dist-info/METADATA", "README.md",
                    "appserver/static/appIcon.png", "default/savedsearches.conf", "default/server.conf",
                    "default/data/ui/views/ngrok_activity.xml", "lookups/ngrok_allowlist.csv.tmp", "LICENSE"):
        assert not bundle.carries(app + dropped), dropped
    assert not bundle.carries("apps/sample_app/bin/x.py")


def test_the_bundle_carries_the_vendored_splunklib_and_everything_the_command_reads(bundle, built_app, tmp_path):
    peer_app, left_behind = bundle.replicate(built_app, str(tmp_path / "searchpeers" / "sh1-1767225600"))
    carried = os.path.join(peer_app, build.VENDOR_DIR)
    assert os.path.exists(os.path.join(carried, "splunklib", "searchcommands", "__init__.py"))
    assert os.path.exists(os.path.join(carried, "splunk_sdk-%s.dist-info" % build.sdk_version(), "METADATA"))
    assert not any(path.startswith(("bin/", "lookups/")) for path in left_behind), left_behind


def _can_import_splunklib(python):
    return subprocess.run([python, "-c", "import splunklib"], capture_output=True, cwd="/").returncode == 0


def test_the_command_runs_from_the_bundle_as_on_an_indexer(bundle, built_app, tmp_path, python):
    assert not _can_import_splunklib(python), "%s has its own splunklib: the test would prove nothing" % python
    peer_app, _ = bundle.replicate(built_app, str(tmp_path / "searchpeers" / "sh1-1767225600"))
    rows = read_input(SAMPLE)
    args = ["allowlist=ngrok_allowlist_example.csv", "on_allowlist=mark"]
    on_indexer = run(rows, args, app_dir=peer_app, python=python)
    assert on_indexer.exit_code == 0, on_indexer.stderr
    on_search_head = run(rows, args, app_dir=built_app, python=python)
    assert len(on_indexer.rows) == len(rows) > 0
    assert on_indexer.rows == on_search_head.rows
    assert not [message for message in on_indexer.messages if message[0] == "ERROR"], on_indexer.messages


def test_control_splunklib_in_the_apps_lib_folder_does_not_reach_the_indexer(bundle, built_app, tmp_path):
    """The layout this app had before: splunklib in <app>/lib. It works on the search head and fails on the
    indexer, which is what the tests above would catch."""
    old = tmp_path / "search-head" / build.APP_ID
    shutil.copytree(built_app, str(old))
    shutil.move(str(old / build.VENDOR_DIR), str(old / "lib"))
    script = old / "bin" / "ngrokscore.py"
    source = script.read_text(encoding="utf-8")
    new_path_line = 'sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))'
    assert new_path_line in source
    script.write_text(source.replace(new_path_line, 'sys.path.insert(0, os.path.join(os.path.dirname('
                                                    'os.path.dirname(os.path.abspath(__file__))), "lib"))'))
    rows = read_input(SAMPLE)[:3]
    assert run(rows, app_dir=str(old)).exit_code == 0
    peer_app, left_behind = bundle.replicate(str(old), str(tmp_path / "searchpeers" / "sh1-1767225600"))
    assert "lib/splunklib/__init__.py" in left_behind
    with pytest.raises(ProtocolError, match="No module named 'splunklib'"):
        run(rows, app_dir=peer_app, timeout=60)
