"""Records splunkd's real conversation with the built command and replays it against the same build offline, in
one flow: each case searches through the recorder (the command ngrokscorerecorded, installed only in the suite's
container; see record_protocol.py), fetches the transcript from the search's dispatch directory, and replays it
at once against build/SA-ngrok-detection, comparing every reply byte for byte.

The replay runs the command under the Python version splunkd used (from pyenv when installed; see
protocol_transcripts.replay_python), since the bytes of a reply may legitimately depend on it. Transcripts are kept under
reports/transcripts/ (session key removed) for anyone who wants to commit a first set from a real Splunk to
tests/protocol/transcripts/, which test_protocol_replay.py then replays on every make test.
"""

import json
import os
import re
import shutil

import pytest

import protocol_transcripts
from protocol_transcripts import BUILT_APP, RECORDED_COMMAND, ROOT, replay_python
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
# (options, rows the search returns). Only the shipped lookups: the built command answers the same offline.
CASES = {
    "default": ("", 2),
    "flat_score": ("modifiers=false impact=80 confidence=50", 2),
    "message_template": ('message="ngrok $ngrok_subcommand$ to $ngrok_target$ on $dest$ scored $risk_score$"', 2),
    "example_allowlist_drop": ("allowlist=ngrok_allowlist_example.csv on_allowlist=drop", 1),
    "no_redaction": ("redact=false allowlist=none", 2),
}
_TRANSCRIPT = re.compile(r"^(ngrokscore-\d+)\.(input|output|python)$")
REPORTS = os.path.join(ROOT, "reports", "transcripts")


@pytest.fixture(scope="module")
def container_splunk(splunk):
    if splunk.container is None:
        pytest.skip("recording needs Docker mode: the recorder is installed only in the suite's own container")
    return splunk


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_built_command_answers_as_it_answered_splunkd(container_splunk, service, case, tmp_path):
    options, expected_rows = CASES[case]
    spl = rows_spl(ROWS) + " | %s %s" % (RECORDED_COMMAND, options)
    outcome = run_search(service, spl)
    assert not outcome.errors and len(outcome.rows) == expected_rows, outcome
    files = container_splunk.container.read_tree("%s/%s" % (DISPATCH_DIR, outcome.sid))
    # The files directly in the dispatch directory (read_tree names them <sid>/<name>).
    dispatch_files = {name.split("/", 1)[1]: data for name, data in files.items()
                      if name.count("/") == 1}
    transcripts = sorted({_TRANSCRIPT.match(name).group(1) for name in dispatch_files if _TRANSCRIPT.match(name)})
    # A search over makeresults runs the streaming command once, on the search head.
    assert len(transcripts) == 1, sorted(dispatch_files)
    [stem] = transcripts
    requests, replies = dispatch_files[stem + ".input"], dispatch_files[stem + ".output"]
    interpreter = json.loads(dispatch_files[stem + ".python"])
    # The dispatch directory as splunkd left it (info.csv and the rest), for the command to find what it found.
    local_dispatch = tmp_path / "dispatch"
    local_dispatch.mkdir()
    for name, data in dispatch_files.items():
        if not _TRANSCRIPT.match(name):
            (local_dispatch / name).write_bytes(data)
    python = replay_python(interpreter["version"])
    if python is None:
        pytest.fail("splunkd ran the command under Python %s, which this machine lacks (pyenv install %s): the "
                    "replay must use the same version" % (interpreter["version"], interpreter["version"]),
                    pytrace=False)
    # Kept for inspection, and as the material of a first committed set (session key removed in place).
    keep = os.path.join(REPORTS, container_splunk.image.replace("/", "_").replace(":", "_"), case)
    shutil.rmtree(keep, ignore_errors=True)
    os.makedirs(keep)
    with open(os.path.join(keep, stem + ".input"), "wb") as handle:
        handle.write(protocol_transcripts.with_searchinfo(requests, session_key=protocol_transcripts.REDACTED))
    with open(os.path.join(keep, stem + ".output"), "wb") as handle:
        handle.write(replies)
    with open(os.path.join(keep, "case.json"), "w", encoding="utf-8") as handle:
        json.dump({"search": spl, "image": container_splunk.image, "sid": outcome.sid, "python": interpreter},
                  handle, indent=2)
    checked = protocol_transcripts.replay(BUILT_APP, requests, replies, python, str(local_dispatch))
    assert checked == len(protocol_transcripts.split(requests)) >= 2  # getinfo, then at least one execute
