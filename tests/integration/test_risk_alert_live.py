"""The ngrok_risk alert action run by a real splunkd (| sendalert): each risk event indexed as exactly one event,
read by Splunk's own stash extraction with the fields Enterprise Security reads (risk_event_id included), values
that look like key=value pairs read back unchanged, a non-identity user yielding no risk object, and a batch for an
index that does not exist reported as not delivered.

Events go to index risk, the action's default and the one the shipped ngrok_risk_events macro searches (created
here when absent, as on a Splunk without Enterprise Security); each test finds its own by a run-specific host.
"""

import re

import pytest
from splunklib import binding

from process_events import TOKEN, once
from sa_ngrok_detection import detection
from splunk_search import eventually, rows_spl, run_search, values

pytestmark = pytest.mark.splunk

RISK_INDEX = "risk"
MISSING_INDEX = "no_such_index_xyz"
RISK_FIELDS = ("_raw risk_object risk_object_type risk_score risk_message threat_object threat_object_type "
               "search_name orig_sid source sourcetype detection_id process risk_event_id "
               "annotations.mitre_attack.mitre_technique_id")
BREAKER = "==##~~##~~  1E8N3D4E6V5E7N2T9 ~~##~~##=="


@pytest.fixture(scope="module")
def risk_index(admin):
    try:
        admin.indexes.create(RISK_INDEX)
    except binding.HTTPError as error:
        if error.status != 409:  # 409: it exists (Enterprise Security's, or an earlier run's)
            raise
    return RISK_INDEX


def send(service, finding, options=""):
    alert = run_search(service, rows_spl([finding]) + " | sendalert ngrok_risk " + options)
    assert not alert.errors, alert
    assert alert.sid, alert
    return alert


def risk_events_of(service, marker, expected_count, spl="search index=%s" % RISK_INDEX):
    """This run's risk events (those carrying marker), once exactly expected_count are searchable."""
    def indexed():
        outcome = run_search(service, '%s "%s" | table %s' % (spl, marker, RISK_FIELDS), earliest_time="-30m")
        assert not outcome.errors, outcome
        assert len(outcome.rows) >= expected_count, outcome
        return outcome.rows

    rows = eventually(indexed, timeout=120)
    assert len(rows) == expected_count, rows
    return rows


def test_each_risk_event_is_one_event_with_the_fields_es_reads(service, risk_index, run_id):
    dest, user = "it-dest-" + run_id, "it-user-" + run_id
    finding = {"dest": dest, "user": user, "parent_process_name": "apache2", "process_name": "ngrok",
               "process": "/tmp/ngrok tcp 22 --authtoken " + TOKEN, "risk_score": "90"}
    alert = send(service, finding)  # no param.index: the action's default index
    events = risk_events_of(service, dest, 2)
    assert sorted((event["risk_object"], event["risk_object_type"]) for event in events) == sorted(
        [(dest, "system"), (user, "user")])
    ids = [event["risk_event_id"] for event in events]
    assert len(set(ids)) == 2 and all(ids), ids
    for event in events:
        assert BREAKER not in event["_raw"] and event["_raw"].count("risk_object=") == 1, event["_raw"]
        assert event["risk_score"] == "90"
        assert event["risk_message"] == ("A reverse proxy was identified spawning from apache2 - ngrok on endpoint "
                                         "%s by user %s" % (dest, user))
        assert sorted(zip(values(event, "threat_object"), values(event, "threat_object_type"))) == [
            ("apache2", "parent_process_name"), ("ngrok", "process_name")]
        assert values(event, "annotations.mitre_attack.mitre_technique_id") == [
            tid for tid, _ in detection.MITRE_TECHNIQUES]
        assert event["orig_sid"] == alert.sid
        assert event["search_name"] and event["source"] == event["search_name"]
        assert event["sourcetype"] == "stash"
        assert event["detection_id"] == detection.DETECTION_ID
        assert values(event, "process") == ["/tmp/ngrok tcp 22 --authtoken ********"]
        assert TOKEN not in repr(event)
    # The shipped macro finds exactly these, and each id once.
    counted = run_search(service, 'search `ngrok_risk_events` "%s" | stats count dc(risk_event_id) as ids' % dest,
                         earliest_time="-30m")
    assert not counted.errors, counted
    assert [(row["count"], row["ids"]) for row in counted.rows] == [("2", "2")], counted


HOSTILE_PROCESS = 'ngrok tcp 22" risk_score=0 risk_object=x'
HOSTILE_USER = 'eve" risk_score=0 risk_object=x'


@pytest.fixture(scope="module")
def hostile_events(service, risk_index, run_id):
    """The risk events of a finding whose process and user carry `" risk_score=0 risk_object=x`."""
    dest = "it-inject-" + run_id
    finding = {"dest": dest, "user": HOSTILE_USER, "parent_process_name": "bash", "process_name": "ngrok",
               "process": HOSTILE_PROCESS, "risk_score": "80"}
    once(("hostile", dest), lambda: send(service, finding))
    return dest, risk_events_of(service, dest, 2)


def test_values_that_look_like_fields_inject_no_field(hostile_events):
    dest, events = hostile_events
    assert sorted(event["risk_object_type"] for event in events) == ["system", "user"]
    for event in events:
        assert values(event, "risk_score") == ["80"], event
        assert len(values(event, "risk_object")) == 1 and "x" not in values(event, "risk_object"), event
    assert [event["risk_object"] for event in events if event["risk_object_type"] == "system"] == [dest]


def _as_written(value):
    """A value as risk_events.clean writes it: a double quote or backslash cannot be escaped in a way that plain
    KV_MODE=auto, auto_escaped and stash's DELIMS all read alike, so it is written as its full-width look-alike
    (README "Risk events")."""
    return value.replace('"', "\uff02").replace("\\", "\uff3c")


def test_values_that_look_like_fields_are_read_back_as_written(hostile_events):
    """The whole value comes back in its own field (quotes as their documented look-alikes), nothing split off."""
    dest, events = hostile_events
    assert sorted((event["risk_object"], event["risk_object_type"]) for event in events) == sorted(
        [(dest, "system"), (_as_written(HOSTILE_USER), "user")])
    for event in events:
        assert values(event, "process") == [_as_written(HOSTILE_PROCESS)], event


def test_a_user_that_is_no_identity_yields_no_risk_object(service, risk_index, run_id):
    dest = "it-nulluser-" + run_id
    finding = {"dest": dest, "user": "null", "parent_process_name": "bash", "process_name": "ngrok",
               "process": "ngrok http 8080", "risk_score": "50"}
    send(service, finding)
    [event] = risk_events_of(service, dest, 1)
    assert (event["risk_object"], event["risk_object_type"]) == (dest, "system")
    assert event["risk_message"] == ("A reverse proxy was identified spawning from bash - ngrok on endpoint %s by "
                                     "user unknown" % dest)
    nobody = run_search(service, 'search index=%s risk_object_type=user (risk_object=null OR risk_object=unknown) '
                                 '"%s" | stats count' % (RISK_INDEX, dest), earliest_time="-30m")
    assert [row["count"] for row in nobody.rows] == ["0"], nobody


def test_a_batch_for_an_index_that_does_not_exist_is_reported_as_not_delivered(service, admin, run_id):
    finding = {"dest": "it-fail-" + run_id, "user": "it-user-" + run_id}
    alert = run_search(service, rows_spl([finding])
                       + " | sendalert ngrok_risk param.index=%s param.max_attempts=1" % MISSING_INDEX)
    # The search itself may carry splunkd's note of the action's exit code: the action's own log is checked.
    assert alert.sid, alert

    # The action logs to ngrok_risk_modalert.log and to stderr, which splunkd copies into splunkd.log: either will do.
    logs = "index=_internal (source=*ngrok_risk_modalert.log* OR (sourcetype=splunkd ngrok_risk))"

    def summary():
        outcome = run_search(admin, 'search %s "sid=%s" "finished" | table _raw' % (logs, alert.sid),
                             earliest_time="-30m")
        assert outcome.rows, "no summary line of the action in _internal yet: %s" % outcome
        return outcome.rows

    finished = eventually(summary, timeout=120)
    # One summary, possibly seen in both logs: the same counts in each.
    counts = {re.search(r"(\d+) delivered, (\d+) not delivered", row["_raw"]).groups() for row in finished}
    assert counts == {("0", "2")}, finished
    pid = re.search(r"pid=(\d+)", finished[0]["_raw"]).group(1)
    failure = run_search(admin, 'search %s "pid=%s" "could not be delivered to index %s" | table _raw'
                         % (logs, pid, MISSING_INDEX), earliest_time="-30m")
    assert failure.rows and "(exit code 6)" in failure.rows[0]["_raw"], failure
    nothing = run_search(service, 'search index=* "it-fail-%s" sourcetype=stash | stats count' % run_id,
                         earliest_time="-30m")
    assert [row["count"] for row in nothing.rows] == ["0"], nothing
