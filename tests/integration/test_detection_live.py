"""The detection end to end on a real Splunk: process events mapped to Endpoint.Processes, the saved search's own
SPL dispatched unchanged over them, and exactly the findings it yields, scored, redacted and filtered by the
allowlist.

It runs by default: without SPLUNK_CIM_PACKAGE the Endpoint data model is the suite's minimal one
(fixtures/it_ngrok_endpoint); with it, the real CIM app's. The endpoint_datamodel fixture checks which one answered.
"""

import re

import pytest

from process_events import TOKEN, detection_events, index_events
from sa_ngrok_detection import detection
from splunk_search import rest_content, run_search, values

pytestmark = pytest.mark.splunk

ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
_BY_CLAUSE = re.compile(r"\bby\s+((?:Processes\.\w+\s*)+)", re.I)


@pytest.fixture(scope="module")
def events(admin, endpoint_datamodel, run_id):
    found = detection_events(run_id)
    index_events(admin, found.values(), run_id)
    return found


def detection_search(service):
    """The saved search's SPL, as Splunk serves it."""
    return rest_content(service, "saved/searches/" + detection.DETECTION_NAME)["search"]


def grouped_fields(spl):
    """The Endpoint.Processes fields the search's tstats groups by, without the dataset prefix."""
    match = _BY_CLAUSE.search(spl)
    assert match, "no tstats by clause over Processes.* in %s" % spl
    return [name.split(".", 1)[1] for name in match.group(1).split()]


def findings(service, spl, run_id):
    """The search's results for this run's hosts, by dest, over the last hour (not its -70m..-10m window)."""
    outcome = run_search(service, spl, earliest_time="-1h", latest_time="now")
    assert not outcome.errors, outcome
    rows = [row for row in outcome.rows if row.get("dest", "").endswith(run_id)]
    by_dest = {row["dest"]: row for row in rows}
    assert len(by_dest) == len(rows), "one finding per host expected: %s" % rows
    return by_dest


def expected_value(event, field):
    """What the data model gives for a field of the event: its value, or "unknown" for the identity fields CIM
    fills, or the tstats fillnull_value "null" for the others."""
    if field in event:
        return str(event[field])
    return "unknown" if field in ("user", "dest", "process", "process_name", "parent_process",
                                  "parent_process_name", "original_file_name", "vendor_product") else "null"


def test_the_detection_finds_exactly_the_tunnels_with_their_fields(service, events, run_id, endpoint_datamodel):
    spl = detection_search(service)
    found = findings(service, spl, run_id)
    # ngrok version matches none of the detection's patterns; ci is dropped only while allowlisted (other module).
    assert set(found) == {events[key]["dest"] for key in ("web", "dev", "ci", "nouser")}, found
    for key in ("web", "dev", "nouser"):
        row, event = found[events[key]["dest"]], events[key]
        for field in grouped_fields(spl):
            if field == "process":
                continue  # redacted: checked below
            assert row[field] == expected_value(event, field), (key, field, row)
        assert row["count"] == "1"
        assert ISO_TIME.match(row["firstTime"]) and row["firstTime"] == row["lastTime"]
        assert values(row, "mitre_technique_id") == [tid for tid, _ in detection.MITRE_TECHNIQUES]
        assert row["allowlisted"] == "false"
    web, dev, nouser = (found[events[key]["dest"]] for key in ("web", "dev", "nouser"))
    assert (web["risk_score"], web["ngrok_subcommand"], web["ngrok_target"]) == ("100", "tcp", "22")
    assert web["process"] == events["web"]["process"]
    assert web["risk_message"] == ("A reverse proxy was identified spawning from apache2 - ngrok on endpoint %s by "
                                   "user www-data" % web["dest"])
    assert (dev["risk_score"], dev["process"]) == ("60", "ngrok http 8080 --authtoken ********")
    assert TOKEN not in repr(found)
    # An event without a user: no identity, and the message says so rather than naming a user "null".
    assert nouser["user"] == "unknown"
    assert nouser["risk_message"] == ("A reverse proxy was identified spawning from bash - ngrok on endpoint %s by "
                                      "user unknown" % nouser["dest"])


def test_allowlisted_findings_are_dropped_by_the_detection_and_kept_marked_otherwise(service, events, run_id,
                                                                                    allowlist_entry):
    assert events["ci"]["dest"] == allowlist_entry["dest"]
    spl = detection_search(service)
    assert "ngrokscore on_allowlist=drop" in spl
    dropped = findings(service, spl, run_id)
    assert set(dropped) == {events[key]["dest"] for key in ("web", "dev", "nouser")}, dropped
    marked = findings(service, spl.replace("ngrokscore on_allowlist=drop", "ngrokscore on_allowlist=mark"), run_id)
    assert set(marked) == {events[key]["dest"] for key in ("web", "dev", "ci", "nouser")}, marked
    ci = marked[events["ci"]["dest"]]
    assert (ci["allowlisted"], ci["allowlist_reason"], ci["risk_score"]) == ("true", allowlist_entry["reason"], "50")
