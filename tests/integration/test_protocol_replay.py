"""Replays the conversations recorded inside Splunk (tests/protocol/transcripts/, written by a SPLUNK_RECORD=1 run)
against the built command offline, through scripts/ngrokscore_local.py's CommandSession: the built command must
answer every recorded request exactly as it answered splunkd. Needs no Splunk, only the transcripts."""

import json
import os

import pytest

import protocol_transcripts
from ngrokscore_local import CommandSession

NO_TRANSCRIPTS = "no recorded transcripts yet (run make test-splunk with SPLUNK_RECORD=1)"
RECORDED = [pytest.param(stem, id="%s/%s" % (case, os.path.basename(stem)))
            for case, stem in protocol_transcripts.recorded()]


@pytest.mark.parametrize("stem", RECORDED or [pytest.param(None, id="none")])
def test_the_built_command_answers_as_it_answered_splunkd(built_app, stem):
    if stem is None:
        pytest.skip(NO_TRANSCRIPTS)
    with open(stem + ".input", "rb") as handle:
        requests = protocol_transcripts.split(handle.read())
    with open(stem + ".output", "rb") as handle:
        replies = protocol_transcripts.split(handle.read())
    session = CommandSession(built_app)
    try:
        for number, ((metadata, body), (expected_metadata, expected_body)) in enumerate(zip(requests, replies), 1):
            request = json.loads(metadata)
            if request.get("action") == "getinfo":
                request["searchinfo"]["dispatch_dir"] = session.dispatch_dir  # the container's path is not here
            session.send(request, body)
            got_metadata, got_body = session.receive()
            assert got_metadata == json.loads(expected_metadata), "reply %d: metadata differs" % number
            assert got_body == expected_body, "reply %d: body differs" % number
    finally:
        session.cleanup()
