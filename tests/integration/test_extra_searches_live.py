"""The app's own searches (issue 12) end to end on a real Splunk with the CIM app: their saved searches' SPL, as
Splunk serves it, dispatched over indexed events mapped to CIM, and what ngrokscore makes of the findings.

Process events reuse the fixtures app's it:process sourcetype (tagged for Endpoint.Processes). DNS events are
key=value text under a sourcetype of this module's own, it:dns, which the module tags network, resolution and dns
(the Network_Resolution constraint) through REST for its run and untags afterwards.
"""

import json

import pytest
from splunklib import binding

from sa_ngrok_detection import detection
from splunk_search import eventually, rest_content, run_search, values

pytestmark = pytest.mark.splunk

RENAMED_REASON = "ngrok agent running under another name (renamed or disguised binary)"
DNS_SOURCETYPE = "it:dns"


def process_event(run_id, dest, name, process, path, original="null"):
    return {"run_id": run_id, "EventID": 1, "vendor_product": "Microsoft Sysmon for Linux", "action": "allowed",
            "dest": dest, "user": "www-data", "parent_process_name": "php-fpm8.2", "parent_process": "php-fpm: pool",
            "parent_process_id": 1190, "process_name": name, "original_file_name": original, "process": process,
            "process_path": path, "process_id": 30112}


@pytest.fixture(scope="module")
def process_events(admin, endpoint_datamodel, run_id):
    try:
        admin.get("saved/eventtypes/it_process")
    except binding.HTTPError as error:
        if error.status != 404:
            raise
        pytest.skip("the fixtures app (tests/integration/fixtures/it_ngrok_fixtures) is not installed on this Splunk")
    found = {
        "renamed": process_event(run_id, "it-renamed-" + run_id, "kworker",
                                 "/tmp/.x/kworker tcp 22 --region eu --log=stdout", "/tmp/.x/kworker"),
        "tls": process_event(run_id, "it-tls-" + run_id, "ngrok", "ngrok tls 3389 --url tls://gw.ngrok.app",
                             "/usr/local/bin/ngrok", "ngrok"),
        "plain": process_event(run_id, "it-plain-" + run_id, "sshd", "sshd -D -p 22", "/usr/sbin/sshd"),
    }
    admin.post("receivers/simple", body="\n".join(json.dumps(event) for event in found.values()), index="main",
               sourcetype="it:process", source="sa-ngrok-detection-integration")

    def searchable():
        outcome = run_search(admin, 'search index=main sourcetype=it:process "%s" | stats count' % run_id,
                             earliest_time="-1h")
        assert outcome.rows and int(outcome.rows[0]["count"]) >= len(found), outcome
        return found

    return eventually(searchable, timeout=90)


@pytest.fixture(scope="module")
def dns_events(admin, endpoint_datamodel, run_id):
    try:
        admin.get("datamodel/model/Network_Resolution")
    except binding.HTTPError as error:
        if error.status != 404:
            raise
        pytest.skip("no CIM Network_Resolution data model on this Splunk")
    eventtype = "it_dns_" + run_id
    admin.post("saved/eventtypes", name=eventtype, search="sourcetype=%s" % DNS_SOURCETYPE)
    admin.post("configs/conf-tags", name="eventtype=" + eventtype)
    admin.post("configs/conf-tags/eventtype=" + eventtype, network="enabled", resolution="enabled", dns="enabled")
    host = "it-dns-" + run_id
    lines = ["run_id=%s src=%s query=%s" % (run_id, host, query)
             for query in ("connect.us.ngrok-agent.com", "a1b2c3.ngrok-free.app", "www.example.org")]
    admin.post("receivers/simple", body="\n".join(lines), index="main", sourcetype=DNS_SOURCETYPE,
               source="sa-ngrok-detection-integration")

    def searchable():
        outcome = run_search(admin, 'search index=main sourcetype=%s "%s" | stats count' % (DNS_SOURCETYPE, run_id),
                             earliest_time="-1h")
        assert outcome.rows and outcome.rows[0]["count"] == str(len(lines)), outcome
        return host

    try:
        yield eventually(searchable, timeout=90)
    finally:
        admin.delete("configs/conf-tags/eventtype=" + eventtype)
        admin.delete("saved/eventtypes/" + eventtype)


def saved_search(service, extra):
    return rest_content(service, "saved/searches/" + extra.name)["search"]


def findings(service, spl, suffix):
    outcome = run_search(service, spl, earliest_time="-1h", latest_time="now")
    assert not outcome.errors, outcome
    return {row["dest"]: row for row in outcome.rows if row.get("dest", "").endswith(suffix)}


def test_the_renamed_search_finds_the_renamed_agent_only(service, process_events, run_id):
    found = findings(service, saved_search(service, detection.RENAMED), run_id)
    renamed = found[process_events["renamed"]["dest"]]
    assert (renamed["ngrok_subcommand"], renamed["ngrok_target"]) == ("tcp", "22")
    assert RENAMED_REASON in values(renamed, "risk_reasons")
    assert renamed["risk_message"].startswith("The ngrok agent ran under another name, kworker (/tmp/.x/kworker)")
    assert process_events["tls"]["dest"] not in found  # named ngrok: the detection's (or All Verbs') finding
    assert process_events["plain"]["dest"] not in found


def test_all_verbs_finds_the_tls_tunnel_the_detection_misses(service, process_events, run_id):
    tls = process_events["tls"]["dest"]
    assert tls not in findings(service, rest_content(service, "saved/searches/" + detection.DETECTION_NAME)["search"],
                               run_id)
    row = findings(service, saved_search(service, detection.ALL_VERBS), run_id)[tls]
    assert (row["ngrok_subcommand"], row["ngrok_target"], row["risk_score"]) == ("tls", "3389", "80")


def test_the_dns_search_reads_the_domains_lookup(service, dns_events):
    outcome = run_search(service, saved_search(service, detection.DNS), earliest_time="-1h", latest_time="now")
    assert not outcome.errors, outcome
    rows = [row for row in outcome.rows if row.get("dest") == dns_events]
    by_query = {row["query"]: row for row in rows}
    assert set(by_query) == {"connect.us.ngrok-agent.com", "a1b2c3.ngrok-free.app"}
    agent = by_query["connect.us.ngrok-agent.com"]
    assert (agent["ngrok_domain_role"], agent["ngrok_domain_era"], agent["risk_score"]) == ("agent", "current", "60")
    assert agent["risk_message"] == "Host %s looked up ngrok agent domain connect.us.ngrok-agent.com" % dns_events
    assert by_query["a1b2c3.ngrok-free.app"]["risk_score"] == "40"
