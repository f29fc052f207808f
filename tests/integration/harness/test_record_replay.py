"""The record-and-replay machinery of the live suite, exercised offline (no Splunk; part of make test).

record_protocol.py is installed into a copy of the built app exactly as the suite installs it in its container,
driven like splunkd drives a command (scripts/ngrokscore_local.py), and the transcript it leaves is replayed
against the built command by protocol_transcripts.replay: it must pass byte for byte, and fail, saying where, on a
reply that differs by one byte or a conversation with a reply fewer. These conversations come from our own command
and prove only the machinery: they are never kept as transcripts.
"""

import json
import os
import shutil
import sys

import pytest

import protocol_transcripts
from ngrokscore_local import CommandSession, rows_to_csv

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORDER = os.path.join(HERE, "record_protocol.py")
ROWS = [{"dest": "web-prod-03", "user": "www-data", "parent_process_name": "apache2", "process_name": "ngrok",
         "process": "/tmp/ngrok tcp 22 --log=stdout"},
        {"dest": "dev-7", "user": "dev", "parent_process_name": "bash", "process_name": "ngrok",
         "process": "ngrok http 8080 --authtoken 2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2"}]


@pytest.fixture
def recording(built_app, tmp_path):
    """(requests, replies, .python record) of one search run through the recorder in a copy of the built app."""
    app = tmp_path / "app"
    shutil.copytree(built_app, str(app))
    shutil.copy(RECORDER, str(app / "bin" / "record_ngrokscore.py"))
    dispatch = tmp_path / "dispatch"
    dispatch.mkdir()
    session = CommandSession(str(app), script=str(app / "bin" / "record_ngrokscore.py"), dispatch_dir=str(dispatch))
    try:
        session.getinfo([])
        session.execute(rows_to_csv(ROWS), False)
        session.execute(b"", True)
        assert session.close() == 0, session.stderr_text()
    finally:
        session.cleanup()
    [stem] = {name.rsplit(".", 1)[0] for name in os.listdir(str(dispatch)) if name.startswith("ngrokscore-")}
    read = {suffix: (dispatch / (stem + suffix)).read_bytes() for suffix in (".input", ".output", ".python")}
    return read[".input"], read[".output"], json.loads(read[".python"])


def test_the_recorder_keeps_every_byte_and_says_which_python_ran(recording):
    requests, replies, python = recording
    assert [len(protocol_transcripts.split(stream)) for stream in (requests, replies)] == [3, 3]
    assert python == {"version": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable}


def test_a_recording_replays_byte_for_byte(recording, built_app, tmp_path):
    requests, replies, _ = recording
    assert protocol_transcripts.replay(built_app, requests, replies, sys.executable, str(tmp_path)) == 3


def test_a_reply_that_differs_by_one_byte_fails_at_that_reply(recording, built_app, tmp_path):
    requests, replies, _ = recording
    messages = protocol_transcripts.split(replies)
    metadata, body = messages[1]
    tampered = body.replace(b"100", b"101", 1)
    assert tampered != body
    changed = b"".join(protocol_transcripts.message(m, b) for m, b in
                       [messages[0], (metadata, tampered), messages[2]])
    with pytest.raises(protocol_transcripts.ReplayMismatch, match="reply 2 of 3 differs"):
        protocol_transcripts.replay(built_app, requests, changed, sys.executable, str(tmp_path))


def test_a_missing_reply_is_a_failure_not_a_truncation(recording, built_app, tmp_path):
    requests, replies, _ = recording
    messages = protocol_transcripts.split(replies)
    shorter = b"".join(protocol_transcripts.message(m, b) for m, b in messages[:2])
    with pytest.raises(protocol_transcripts.ReplayMismatch, match="reply 3 of 3 differs"):
        protocol_transcripts.replay(built_app, requests, shorter, sys.executable, str(tmp_path))
    with pytest.raises(ValueError, match="cut short"):
        protocol_transcripts.split(replies[:-1])


def test_searchinfo_values_are_replaced_in_place(recording):
    requests, _, _ = recording
    original = protocol_transcripts.split(requests)
    changed = protocol_transcripts.split(protocol_transcripts.with_searchinfo(
        requests, session_key=protocol_transcripts.REDACTED, dispatch_dir="/x/y"))
    assert changed[1:] == original[1:]
    before, after = original[0][0], changed[0][0]
    info = json.loads(before)["searchinfo"]
    assert after == before.replace(json.dumps(info["session_key"]).encode(),
                                   json.dumps(protocol_transcripts.REDACTED).encode()).replace(
        json.dumps(info["dispatch_dir"]).encode(), b'"/x/y"')
