"""The ngrok_risk alert action run by a real splunkd (| sendalert): its risk events are indexed, split and
searchable with Enterprise Security's fields, and a delivery splunkd refuses shows in Splunk's own logs."""

import re

import pytest
from splunklib import binding

from sa_ngrok_detection import detection
from splunk_search import eventually, rows_spl, run_search, values

pytestmark = pytest.mark.splunk

RISK_INDEX = "it_ngrok_risk"
MISSING_INDEX = "no_such_index_xyz"
TOKEN = "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2"
RISK_FIELDS = ("risk_object risk_object_type risk_score risk_message threat_object threat_object_type search_name "
               "orig_sid source sourcetype detection_id process annotations.mitre_attack.mitre_technique_id")


@pytest.fixture(scope="module")
def risk_index(admin):
    try:
        admin.indexes.create(RISK_INDEX)
    except binding.HTTPError as error:
        if error.status != 409:  # 409: it exists, from an earlier run
            raise
    return RISK_INDEX


def test_sendalert_writes_one_risk_event_per_risk_object(service, risk_index, run_id):
    dest, user = "it-dest-" + run_id, "it-user-" + run_id
    finding = {"dest": dest, "user": user, "parent_process_name": "apache2", "process_name": "ngrok",
               "process": "/tmp/ngrok tcp 22 --authtoken " + TOKEN, "risk_score": "90"}
    alert = run_search(service, rows_spl([finding]) + " | sendalert ngrok_risk param.index=" + risk_index)
    assert not alert.errors, alert

    def indexed():
        outcome = run_search(service, 'search index=%s "%s" | table %s' % (risk_index, run_id, RISK_FIELDS),
                             earliest_time="-30m")
        assert not outcome.errors and len(outcome.rows) >= 2, outcome
        return outcome.rows

    events = eventually(indexed, timeout=90)
    assert len(events) == 2, events  # one per risk object: the stash line breaker split the batch
    assert {(event["risk_object"], event["risk_object_type"]) for event in events} == {(dest, "system"),
                                                                                       (user, "user")}
    for event in events:
        assert event["risk_score"] == "90"
        assert event["risk_message"] == ("A reverse proxy was identified spawning from apache2 - ngrok on endpoint "
                                         "%s by user %s" % (dest, user))
        # The first value at least: whether a repeated key becomes a multivalue field is the stash sourcetype's
        # extraction, not the action's.
        assert values(event, "threat_object")[0] == "apache2"
        assert values(event, "threat_object_type")[0] == "parent_process_name"
        assert values(event, "annotations.mitre_attack.mitre_technique_id")[0] == "T1572"
        assert event["orig_sid"] == alert.sid
        assert event["search_name"] and event["source"] == event["search_name"]
        assert event["sourcetype"] == "stash"
        assert event["detection_id"] == detection.DETECTION_ID
        assert values(event, "process") == ["/tmp/ngrok tcp 22 --authtoken ********"]
        assert TOKEN not in repr(event)


def test_a_delivery_splunkd_refuses_shows_in_splunks_logs(service, admin, run_id):
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
        return outcome.rows[0]["_raw"]

    finished = eventually(summary, timeout=120)
    assert "0 delivered, 2 not delivered" in finished
    pid = re.search(r"pid=(\d+)", finished).group(1)
    failure = run_search(admin, 'search %s "pid=%s" "could not be delivered to index %s" | table _raw'
                         % (logs, pid, MISSING_INDEX), earliest_time="-30m")
    assert failure.rows and "(exit code 6)" in failure.rows[0]["_raw"], failure
