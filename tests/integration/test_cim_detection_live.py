"""The detection end to end on a real Splunk with the CIM app: process events mapped to Endpoint.Processes, the
saved search's own SPL dispatched over them, and the findings it yields, scored and filtered by the allowlist.

The events carry CIM field names (as the Sysmon for Linux add-on produces from EventID 1) under the test-only
sourcetype it:process, which the fixtures app tags process and report: the Endpoint.Processes constraint.
"""

import json
import re

import pytest
from splunklib import binding

from sa_ngrok_detection import detection
from splunk_search import eventually, rest_content, run_search, values

pytestmark = pytest.mark.splunk

SOURCETYPE = "it:process"
TOKEN = "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2"
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


def process_event(run_id, dest, user, parent, process, path, pid):
    return {"run_id": run_id, "EventID": 1, "vendor_product": "Microsoft Sysmon for Linux", "action": "allowed",
            "dest": dest, "user": user, "parent_process_name": parent.rsplit("/", 1)[-1], "parent_process": parent,
            "parent_process_id": pid - 1, "process_name": "ngrok", "original_file_name": "ngrok", "process": process,
            "process_path": path, "process_id": pid}


@pytest.fixture(scope="module")
def events(admin, endpoint_datamodel, run_id):
    """Process events in index main (the CIM data model's default): an SSH tunnel from a web server, a developer's
    web tunnel with its authtoken, a CI tunnel (the allowlist test's host) and an informational ngrok version, which
    the detection's patterns do not select."""
    try:
        admin.get("saved/eventtypes/it_process")
    except binding.HTTPError as error:
        if error.status != 404:
            raise
        pytest.skip("the fixtures app (tests/integration/fixtures/it_ngrok_fixtures) is not installed on this Splunk")
    found = {
        "web": process_event(run_id, "it-web-" + run_id, "www-data", "/usr/sbin/apache2",
                             "/tmp/ngrok tcp 22 --log=stdout", "/tmp/ngrok", 28411),
        "dev": process_event(run_id, "it-dev-" + run_id, "dev", "/usr/bin/bash",
                             "ngrok http 8080 --authtoken " + TOKEN, "/usr/local/bin/ngrok", 4242),
        "ci": process_event(run_id, "it-allow-" + run_id, "it-user", "/usr/bin/bash", "ngrok http 3000 --log stdout",
                            "/usr/local/bin/ngrok", 777),
        "info": process_event(run_id, "it-info-" + run_id, "dev", "/usr/bin/bash", "ngrok version",
                              "/usr/local/bin/ngrok", 9001),
    }
    admin.post("receivers/simple", body="\n".join(json.dumps(event) for event in found.values()), index="main",
               sourcetype=SOURCETYPE, source="sa-ngrok-detection-integration")

    def searchable():
        outcome = run_search(admin, 'search index=main sourcetype=%s "%s" | stats count' % (SOURCETYPE, run_id),
                             earliest_time="-1h")
        assert outcome.rows and outcome.rows[0]["count"] == str(len(found)), outcome
        return found

    return eventually(searchable, timeout=90)


def detection_search(service):
    """The saved search's SPL, as Splunk serves it."""
    return rest_content(service, "saved/searches/" + detection.DETECTION_NAME)["search"]


def findings(service, spl, run_id):
    """The search's results for this run's hosts, by dest, over the last hour (not its -70m..-10m window)."""
    outcome = run_search(service, spl, earliest_time="-1h", latest_time="now")
    assert not outcome.errors, outcome
    return {row["dest"]: row for row in outcome.rows if row.get("dest", "").endswith(run_id)}


def test_the_detection_finds_and_scores_the_tunnels(service, events, run_id):
    found = findings(service, detection_search(service), run_id)
    assert events["info"]["dest"] not in found  # "ngrok version" matches none of the detection's patterns
    web, dev = found[events["web"]["dest"]], found[events["dev"]["dest"]]
    assert (web["user"], web["parent_process_name"], web["process_id"]) == ("www-data", "apache2", "28411")
    assert (web["risk_score"], web["ngrok_subcommand"], web["ngrok_target"]) == ("100", "tcp", "22")
    assert web["allowlisted"] == "false"
    assert values(web, "mitre_technique_id") == [tid for tid, _ in detection.MITRE_TECHNIQUES]
    assert ISO_TIME.match(web["firstTime"]) and ISO_TIME.match(web["lastTime"])
    assert web["risk_message"] == ("A reverse proxy was identified spawning from apache2 - ngrok on endpoint %s by "
                                   "user www-data" % web["dest"])
    assert dev["risk_score"] == "60"
    assert dev["process"] == "ngrok http 8080 --authtoken ********"
    assert TOKEN not in repr(dev)


def test_allowlisted_findings_are_dropped_by_the_detection_and_kept_marked_otherwise(service, events, run_id,
                                                                                    allowlist_entry):
    assert events["ci"]["dest"] == allowlist_entry["dest"]
    spl = detection_search(service)
    assert "ngrokscore on_allowlist=drop" in spl
    dropped = findings(service, spl, run_id)
    assert events["ci"]["dest"] not in dropped and events["web"]["dest"] in dropped
    marked = findings(service, spl.replace("ngrokscore on_allowlist=drop", "ngrokscore on_allowlist=mark"), run_id)
    ci = marked[events["ci"]["dest"]]
    assert (ci["allowlisted"], ci["allowlist_reason"], ci["risk_score"]) == ("true", allowlist_entry["reason"], "50")
