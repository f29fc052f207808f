"""Records the real splunkd-to-ngrokscore conversation (opt-in: SPLUNK_RECORD=1, Docker mode) into
tests/protocol/transcripts/<case>/, for test_protocol_replay.py to replay against the built command offline.

In a recording run the container's copy of the app runs record_protocol.py as the ngrokscore script; every search
leaves its transcript in its dispatch directory, from which each case's is copied out with the session key removed.
"""

import json
import os
import posixpath
import re
import shutil

import pytest

import protocol_transcripts
from splunk_docker import DISPATCH_DIR
from splunk_search import rows_spl, run_search

pytestmark = pytest.mark.splunk

ROWS = [
    {"dest": "web-prod-03", "user": "www-data", "parent_process_name": "apache2", "process_name": "ngrok",
     "original_file_name": "ngrok", "process": "/tmp/ngrok tcp 22 --log=stdout", "process_id": "28411",
     "parent_process_id": "1187"},
    {"dest": "ci-runner-01", "user": "build", "parent_process_name": "bash", "process_name": "ngrok",
     "process": "ngrok http 3000 --authtoken 2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2", "process_id": "77",
     "parent_process_id": "70"},
]
# Cases use only the shipped lookups, so that the built command can answer them the same way offline.
CASES = {
    "default": "",
    "flat_score": "modifiers=false impact=80 confidence=50",
    "message_template": 'message="ngrok $ngrok_subcommand$ to $ngrok_target$ on $dest$ scored $risk_score$"',
    "example_allowlist_drop": "allowlist=ngrok_allowlist_example.csv on_allowlist=drop",
    "no_redaction": "redact=false allowlist=none",
    "bad_option": "impact=101",
}
_TRANSCRIPT = re.compile(r"^ngrokscore-\d+\.(input|output)$")


@pytest.fixture(scope="module")
def recording_splunk(splunk):
    if splunk.container is None:
        pytest.skip("recording needs Docker mode: the recorder is installed in the suite's own container")
    if not splunk.recording:
        pytest.skip("protocol recording not requested: run with SPLUNK_RECORD=1")
    return splunk


@pytest.mark.parametrize("case", sorted(CASES))
def test_record_the_conversation(recording_splunk, service, admin, case):
    spl = rows_spl(ROWS) + " | ngrokscore " + CASES[case]
    outcome = run_search(service, spl)
    if outcome.sid is None:
        pytest.skip("splunkd refused the search before creating a job, so there is no dispatch directory: %s"
                    % outcome.messages)
    files = recording_splunk.container.read_tree("%s/%s" % (DISPATCH_DIR, outcome.sid))
    recorded = {posixpath.basename(name): data for name, data in files.items()
                if _TRANSCRIPT.match(posixpath.basename(name))}
    assert recorded, "no transcript in the dispatch directory of %s: is record_ngrokscore.py the command's script?" % (
        outcome.sid)
    folder = os.path.join(protocol_transcripts.TRANSCRIPTS_DIR, case)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name, data in sorted(recorded.items()):
        protocol_transcripts.split(data)  # a complete conversation: every message whole
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(protocol_transcripts.without_session_key(data) if name.endswith(".input") else data)
    with open(os.path.join(folder, "case.json"), "w", encoding="utf-8") as handle:
        json.dump({"search": spl, "image": recording_splunk.image, "splunk_version": admin.info["version"],
                   "messages": outcome.messages}, handle, indent=2)
        handle.write("\n")
