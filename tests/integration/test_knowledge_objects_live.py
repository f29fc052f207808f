"""The app's macros and saved searches as a real Splunk sees them: listed over REST, expanding to working SPL, and
scheduled with their actions and Enterprise Security keys as the built conf files say."""

import json
import os
import re

import pytest
from addonfactory_splunk_conf_parser_lib import TABConfigParser

from sa_ngrok_detection import detection
from splunk_search import APP_ID, is_true, rest_content, run_search

pytestmark = pytest.mark.splunk

NOTABLE_RULE = "Ngrok Risk Threshold Exceeded - Rule"


def built_conf(built_app, name):
    parser = TABConfigParser()
    parser.read(os.path.join(built_app, "default", name + ".conf"))
    return {section: dict(parser.items(section)) for section in parser.sections()}


# (macro, SPL using it, search parameters, result field, pattern of its one value)
MACRO_CASES = [
    ("security_content_ctime(1)", "| makeresults | eval t=1700000000 | `security_content_ctime(t)` | table t", {},
     "t", r"^2023-11-1[45]T\d\d:\d\d:\d\d$"),
    ("drop_dm_object_name(1)", "| makeresults | eval 'Processes.dest'=\"it-host\" "
                               "| `drop_dm_object_name(Processes)` | table dest", {}, "dest", "^it-host$"),
    ("security_content_summariesonly", "| tstats `security_content_summariesonly` count where index=_internal",
     {"earliest_time": "-60m"}, "count", r"^[1-9]\d*$"),
    ("linux_ngrok_reverse_proxy_usage_filter",
     "| makeresults count=3 | `linux_ngrok_reverse_proxy_usage_filter` | stats count", {}, "count", "^3$"),
    ("ngrok_risk_notable_threshold", "| makeresults | eval threshold=`ngrok_risk_notable_threshold` | table threshold",
     {}, "threshold", "^100$"),
]
# Macros whose exact results need data of their own, checked where that data is made.
COVERED_ELSEWHERE = {"ngrok_risk_events": "test_risk_alert_live.py counts this run's risk events with it"}


def test_every_macro_is_listed_with_its_definition(service, built_app):
    outcome = run_search(service, '| rest /servicesNS/-/%s/admin/macros splunk_server=local count=0 '
                                  '| search eai:acl.app="%s" | table title definition args' % (APP_ID, APP_ID))
    assert not outcome.errors, outcome
    listed = {row["title"]: row["definition"] for row in outcome.rows}
    expected = {name: stanza["definition"] for name, stanza in built_conf(built_app, "macros").items()}
    assert listed == expected
    assert set(listed) == {case[0] for case in MACRO_CASES} | set(COVERED_ELSEWHERE), (
        "every macro needs a case in MACRO_CASES")


@pytest.mark.parametrize("spl, params, field, expected", [pytest.param(*case[1:], id=case[0]) for case in MACRO_CASES])
def test_each_macro_expands_to_working_spl(service, spl, params, field, expected):
    outcome = run_search(service, spl, **params)
    assert not outcome.errors, outcome
    assert len(outcome.rows) == 1 and re.match(expected, outcome.rows[0][field]), outcome


def test_the_macros_stay_inside_the_app(splunk, admin):
    elsewhere = run_search(admin, '| rest /servicesNS/-/-/admin/macros splunk_server=local count=0 '
                                  '| search title="security_content_ctime(1)" eai:acl.app!="%s"' % APP_ID)
    if elsewhere.rows:
        pytest.skip("another app (%s) defines security_content_ctime: cannot tell whose macro a search outside "
                    "this app would use" % elsewhere.rows[0].get("eai:acl.app"))
    outcome = run_search(splunk.connect(app="search"), "| makeresults | eval t=1 | `security_content_ctime(t)`")
    assert any("security_content_ctime" in text for text in outcome.errors), outcome


def test_the_detection_is_scheduled_with_the_ngrok_risk_action(service, built_app):
    conf = built_conf(built_app, "savedsearches")[detection.DETECTION_NAME]
    saved = rest_content(service, "saved/searches/" + detection.DETECTION_NAME)
    for key in ("search", "cron_schedule", "dispatch.earliest_time", "dispatch.latest_time", "schedule_window",
                "action.ngrok_risk.param.index"):
        assert saved[key] == conf[key], key
    assert saved["cron_schedule"] == "0 * * * *"
    assert is_true(saved["is_scheduled"]) and is_true(saved["disabled"])  # ships disabled, scheduled once enabled
    assert is_true(saved["action.ngrok_risk"]) and not is_true(saved.get("action.risk"))
    assert "ngrok_risk" in [action.strip() for action in saved["actions"].split(",")]


@pytest.mark.parametrize("name", [detection.DETECTION_NAME, NOTABLE_RULE])
def test_the_enterprise_security_keys_are_served(service, built_app, name):
    # Read through the generic conf endpoint: it serves every key of the stanza, including the action.* keys of
    # actions that only Enterprise Security registers.
    conf = built_conf(built_app, "savedsearches")[name]
    served = rest_content(service, "configs/conf-savedsearches/" + name)
    es_keys = [key for key in conf if key.startswith(("action.correlationsearch.", "action.notable.", "action.risk."))]
    assert es_keys
    for key in es_keys:
        if conf[key].lstrip().startswith(("{", "[")):
            assert json.loads(served[key]) == json.loads(conf[key]), key
        else:
            assert served[key] == conf[key], key
    annotations = json.loads(served["action.correlationsearch.annotations"])
    assert annotations["mitre_attack"] == [tid for tid, _ in detection.MITRE_TECHNIQUES]


def test_the_notable_rule_is_scheduled(service, built_app):
    conf = built_conf(built_app, "savedsearches")[NOTABLE_RULE]
    saved = rest_content(service, "saved/searches/" + NOTABLE_RULE)
    for key in ("search", "cron_schedule", "dispatch.earliest_time", "alert.suppress.fields", "alert.suppress.period"):
        assert saved[key] == conf[key], key
    assert is_true(saved["alert.suppress"])
