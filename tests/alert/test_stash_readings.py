"""What the alert action posts reads as exactly the intended risk events and fields however Splunk reads it: split
by the stash_new line breaker, then extracted by stash_extract's DELIMS, by KV_MODE=auto and by KV_MODE=auto_escaped
(stash_readers.py says where each rule comes from). Proven on hostile values in every field."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from receiver_stand_in import SESSION_KEY
from stash_readers import READERS, auto_pairs, fields, split_stash_new

from sa_ngrok_detection import alert
from sa_ngrok_detection.risk_events import RiskEventBuilder, clean, stash_body, stash_text

INJECTION = 'svc" risk_score=0 risk_object=ceo-laptop x="'
FIELDS = ("dest", "user", "parent_process_name", "process_name", "process", "risk_message", "ngrok_subcommand",
          "ngrok_target", "allowlisted", "risk_score_breakdown")
# Text an attacker on the host can put in a host name, user name or command line, and what breaks parsers.
PIECES = list('"\\=, \t\r\n;:|$*~#\'') + ["==##~~##~~  1E8N3D4E6V5E7N2T9 ~~##~~##==", "\\\"", '", x="',
                                         "risk_score=0", "é", "ж", "東", "😀", "\u202e", "\x00", "\x85", "\u2028",
                                         "a", "Z"]
HOSTILE = st.one_of(st.lists(st.sampled_from(PIECES), max_size=12).map("".join), st.text(max_size=12))


def body_of(rows, search_name="Linux Ngrok Reverse Proxy Usage", sid="scheduler_1"):
    builder = RiskEventBuilder(search_name, sid, 50)
    events = [event for rid, row in enumerate(rows) for event in builder.events(row, rid)]
    body = stash_body([stash_text(event, 0).encode("utf-8") for event in events]).decode("utf-8")
    return events, body


def intended_pairs(event):
    return [(key, item) for key, value in event for item in (value if isinstance(value, list) else [value])]


def assert_reads_as_intended(events, body):
    if not events:
        return  # nothing to post: the action sends no request
    raw_events = split_stash_new(body)
    assert len(raw_events) == len(events)  # one indexed event per risk event: nothing merged, nothing split
    for event, raw in zip(events, raw_events):
        assert "\n" not in raw and "\r" not in raw
        for name, reader in READERS.items():
            assert reader(raw) == intended_pairs(event), name


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({field: st.one_of(HOSTILE, st.lists(HOSTILE, max_size=3))
                                       for field in FIELDS}), min_size=1, max_size=3), HOSTILE)
def test_hostile_values_in_every_field_read_the_same_every_way(rows, search_name):
    events, body = body_of(rows, search_name=search_name or "x", sid=search_name)
    assert_reads_as_intended(events, body)


@pytest.mark.parametrize("field", ["dest", "user", "risk_message", "process", "parent_process_name"])
def test_the_issue_s_injection_injects_nothing(field):
    row = {"dest": "web-01", "user": "alice", "risk_score": "100", "process": "ngrok tcp 22"}
    row[field] = INJECTION
    events, body = body_of([row])
    assert_reads_as_intended(events, body)
    for raw in split_stash_new(body):
        for name, reader in READERS.items():
            read = fields(reader(raw))
            assert read["risk_score"] == "100" and "x" not in read, name
            assert read["risk_object"] != "ceo-laptop", name


def test_the_readers_catch_the_old_escaping():
    """The check can fail: a value escaped with \\" (what the action used to write) injects under plain auto."""
    old_line = '11/28/2026 00:00:00 +0000, risk_object="%s", risk_score="100"' % INJECTION.replace('"', '\\"')
    read = fields(auto_pairs(old_line))
    assert read["risk_score"] == ["0", "100"] and read["risk_object"] == ["svc\\", "ceo-laptop"]


def test_cleaning_keeps_what_it_can():
    assert clean('a"b\\c') == "a\uff02b\uff3cc"
    assert clean("line1\r\nline2\x00\x85\u2028end") == "line1  line2   end"
    assert clean("bad \ud800 text") == "bad \ufffd text"
    assert clean("é 東 😀 \u202e") == "é 東 😀 \u202e"


def test_the_posted_body_of_the_built_action_reads_the_same_every_way(stand_in, payload, run_action):
    rows = [{"dest": INJECTION, "user": 'a\\"b', "process": 'ngrok tcp 22 --authtoken "x y" --log "/t,=\\\\"',
             "risk_message": "m=1, risk_score=\"0\"\nrisk_object=\"ceo\"", "parent_process_name": "bash"}]
    run = run_action(payload(rows))
    assert run.code == alert.EXIT_OK, run.log
    [(_, query, _, body)] = stand_in.accepted
    assert query["sourcetype"] == "stash_new"
    raw_events = split_stash_new(body)
    assert len(raw_events) == 2
    for raw in raw_events:
        results = [fields(reader(raw)) for reader in READERS.values()]
        assert results[0] == results[1] == results[2]
        assert results[0]["risk_score"] == "50" and "ceo" not in (results[0]["risk_object"], results[0].get("x"))
    assert SESSION_KEY not in run.log
