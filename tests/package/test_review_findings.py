"""SPL and conf facts a review of the shipped searches checked (each test names the Splunk fact it rests on)."""

import json
import os
import re
import xml.etree.ElementTree as ElementTree

import pytest
from addonfactory_splunk_conf_parser_lib import TABConfigParser

from sa_ngrok_detection import detection

NOTABLE = detection.NOTABLE_RULE_NAME


def read_conf(path):
    parser = TABConfigParser()
    parser.read(path)
    return {section: dict(parser.items(section)) for section in parser.sections()}


BUILT_APP = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "build",
                         "SA-ngrok-detection")


@pytest.fixture(scope="module")
def built():
    return BUILT_APP


@pytest.fixture(scope="module")
def saved(built):
    return read_conf(os.path.join(built, "default", "savedsearches.conf"))


@pytest.fixture(scope="module")
def macros(built):
    return read_conf(os.path.join(built, "default", "macros.conf"))


def every_spl(built, saved, macros):
    found = []
    for name, stanza in saved.items():
        found.append(stanza.get("search", ""))
        found.extend(drilldown["search"] for drilldown in json.loads(stanza.get("action.notable.param.drilldown_searches",
                                                                               "[]")))
    found.extend(stanza.get("definition", "") for stanza in macros.values())
    views = os.path.join(built, "default", "data", "ui", "views")
    for view in os.listdir(views):
        found.extend(query.text for query in ElementTree.parse(os.path.join(views, view)).getroot().iter("query"))
    return found


# Splunk's SPL search reference, inputlookup: the WHERE clause of inputlookup supports only the operators =, !=, <,
# >, <=, >=, AND, OR and NOT (no IN, no wildcard functions).
_WHERE = re.compile(r"\|\s*inputlookup\s+\S+\s+where\s+(.*?)(?=\s*\||\s*\]|$)", re.IGNORECASE)
_TERM = re.compile(r'\s*(?:\(|\)|AND\b|OR\b|NOT\b|\w+\s*(?:!=|<=|>=|=|<|>)\s*(?:"[^"]*"|[\w.*-]+))', re.IGNORECASE)


def operators_are_documented(where):
    position = 0
    while position < len(where):
        match = _TERM.match(where, position)
        if not match or match.end() == position:
            return False
        position = match.end()
    return True


def test_the_where_checker_rejects_in():
    assert operators_are_documented('enabled="true" (role="agent" OR role="endpoint")')
    assert not operators_are_documented('enabled="true" role IN ("agent", "endpoint")')


def test_every_inputlookup_where_uses_only_the_documented_operators(built, saved, macros):
    clauses = [clause for spl in every_spl(built, saved, macros) for clause in _WHERE.findall(spl)]
    assert len(clauses) >= 4  # the domains (renamed search, DNS, traffic) and the hashes
    for clause in clauses:
        assert operators_are_documented(clause), clause
    assert any('(role="agent" OR role="endpoint" OR role="tcp-endpoint")' in clause for clause in clauses)


def test_the_threshold_rule_does_not_overwrite_the_notables_search_name(saved):
    # ES writes the correlation search's name into every notable's search_name; a result field of that name would
    # replace it on the notable.
    rule = saved[NOTABLE]
    assert "as search_name" not in rule["search"]
    assert "values(search_name) as contributing_searches" in rule["search"]
    assert "$contributing_searches$" in rule["action.notable.param.rule_description"]
    assert "$search_name$" not in rule["action.notable.param.rule_description"] + rule["action.notable.param.rule_title"]


def test_the_threshold_notable_names_its_risk_object_in_nes_fields(saved):
    # contentctl renders action.notable.param.nes_fields on every notable it writes (savedsearches_detections.j2).
    assert saved[NOTABLE]["action.notable.param.nes_fields"] == "risk_object"


def test_every_ngrok_risk_key_a_saved_search_uses_is_declared_in_the_spec(built, saved):
    spec = open(os.path.join(built, "README", "savedsearches.conf.spec"), encoding="utf-8").read()
    declared = set(re.findall(r"^(action\.ngrok_risk(?:\.param\.\w+)?) = <\w+>", spec, re.MULTILINE))
    used = {key for stanza in saved.values() for key in stanza if key.startswith("action.ngrok_risk")}
    assert used and used <= declared
    actions = read_conf(os.path.join(built, "default", "alert_actions.conf"))["ngrok_risk"]
    params = {"action.ngrok_risk." + key for key in actions if key.startswith("param.")}
    assert params | {"action.ngrok_risk"} == declared


def test_process_findings_cover_ad_hoc_runs_of_every_process_search(macros):
    process = macros["ngrok_process_findings"]["definition"]
    for search in (detection.UPSTREAM,) + detection.PROCESS_SEARCHES:
        assert '"%s"' % search.name in process and '"ad hoc: %s"' % search.name in process


def test_the_risk_history_drilldowns_carry_no_offsets(saved):
    # The 7-day history bounds its own time (earliest=-7d@d latest=now); contentctl leaves earliest_offset and
    # latest_offset out of such drilldowns.
    histories = [drilldown for stanza in saved.values()
                 for drilldown in json.loads(stanza.get("action.notable.param.drilldown_searches", "[]"))
                 if "earliest=-7d@d" in drilldown["search"]]
    assert len(histories) == 1 + len(detection.EXTRA_SEARCHES)
    for drilldown in histories:
        assert set(drilldown) == {"name", "search"}


def test_the_threshold_rule_drilldowns_cover_every_search(saved, macros):
    drilldowns = json.loads(saved[NOTABLE]["action.notable.param.drilldown_searches"])
    assert drilldowns[0]["search"].startswith("`ngrok_risk_events` ")
    for search in detection.RISK_SEARCHES:
        assert '"%s"' % search.id in macros["ngrok_risk_events"]["definition"]
    names = " ".join(drilldown["name"] for drilldown in drilldowns)
    for extra in detection.EXTRA_SEARCHES:
        assert extra.name in names


def test_the_domain_role_comes_from_an_enabled_row(built):
    # transforms.conf [ngrok_domains] has max_matches = 1: the first matching row in file order wins, disabled or
    # not, unless the lookup itself is given enabled=true as an input field to match.
    transforms = read_conf(os.path.join(built, "default", "transforms.conf"))
    assert transforms[detection.DOMAINS_LOOKUP]["max_matches"] == "1"
    for search in detection.NETWORK_SEARCHES:
        [lookup] = re.findall(r"\| lookup %s ([^|]*)" % detection.DOMAINS_LOOKUP, search.tstats())
        assert lookup.startswith("domain as query enabled as ngrok_domain_enabled OUTPUT ")
        assert '| eval ngrok_domain_enabled="true" | lookup' in search.tstats()


def test_the_navigation_lists_every_saved_search(built, saved):
    nav = ElementTree.parse(os.path.join(built, "default", "data", "ui", "nav", "default.xml")).getroot()
    listed = [element.get("name") for element in nav.iter("saved")]
    assert sorted(listed) == sorted(saved)
