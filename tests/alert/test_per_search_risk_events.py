"""Risk events describe the search that raised them: its detection_id, threat objects and MITRE mapping, found by
the alert's search_name (the built ngrok_risk action, run as splunkd runs it)."""

import pytest

from receiver_stand_in import fields_of

from sa_ngrok_detection import alert, detection

DNS_ROW = {"dest": "laptop-7", "query": "connect.ngrok-agent.com", "ngrok_domain_role": "agent", "risk_score": "40",
           "risk_message": "Host laptop-7 looked up ngrok agent domain connect.ngrok-agent.com"}
PROCESS_ROW = {"dest": "web-01", "user": "www-data", "parent_process_name": "apache2", "process_name": "ngrok",
               "process": "ngrok tcp 22"}


def events_of(stand_in, payload, run_action, search_name, rows):
    sent = payload(rows)
    sent["search_name"] = search_name
    run = run_action(sent)
    assert run.code == alert.EXIT_OK, run.stderr
    return [fields_of(event) for event in stand_in.events()]


@pytest.mark.parametrize("search", detection.NETWORK_SEARCHES, ids=lambda search: search.name)
def test_network_findings_carry_the_domain_as_threat_object_and_their_own_id(stand_in, payload, run_action, search):
    [event] = events_of(stand_in, payload, run_action, search.name, [DNS_ROW])
    assert event["risk_object"] == "laptop-7" and event["risk_object_type"] == "system"
    # contentctl's ThreatObjectType names a domain "domain" (splunk/contentctl, contentctl/objects/enums.py).
    assert event["threat_object"] == "connect.ngrok-agent.com" and event["threat_object_type"] == "domain"
    assert event["detection_id"] == search.id != detection.DETECTION_ID
    assert event["search_name"] == search.name
    assert event["annotations.mitre_attack.mitre_technique_id"] == [tid for tid, _ in search.mitre_techniques]


@pytest.mark.parametrize("search", detection.PROCESS_SEARCHES, ids=lambda search: search.name)
def test_process_searches_carry_their_own_id(stand_in, payload, run_action, search):
    events = events_of(stand_in, payload, run_action, search.name, [PROCESS_ROW])
    assert [event["detection_id"] for event in events] == [search.id, search.id]
    assert events[0]["threat_object"] == ["apache2", "ngrok"]
    assert events[0]["threat_object_type"] == ["parent_process_name", "process_name"]


def test_an_unscored_network_row_gets_its_searchs_message(stand_in, payload, run_action):
    row = {key: value for key, value in DNS_ROW.items() if key not in ("risk_score", "risk_message")}
    [event] = events_of(stand_in, payload, run_action, detection.DNS.name, [row])
    assert event["risk_message"] == "Host laptop-7 looked up ngrok agent domain connect.ngrok-agent.com"


@pytest.mark.parametrize("search_name", ["", "My renamed copy of the detection"])
def test_ad_hoc_runs_and_other_names_are_described_as_the_upstream_detection(stand_in, payload, run_action,
                                                                             search_name):
    events = events_of(stand_in, payload, run_action, search_name, [PROCESS_ROW])
    assert [event["detection_id"] for event in events] == [detection.DETECTION_ID] * 2
    assert events[0]["threat_object_type"] == ["parent_process_name", "process_name"]
    assert events[0]["search_name"] == (search_name or "ad hoc: " + detection.DETECTION_NAME)


def test_every_risk_search_id_is_counted_by_the_risk_events_macro():
    ids = [search.id for search in detection.RISK_SEARCHES]
    assert len(set(ids)) == len(ids) == 1 + len(detection.EXTRA_SEARCHES)
    assert all(detection.search_named(search.name) is search for search in detection.RISK_SEARCHES)
