"""ngrokscore run by a real splunkd on rows shaped like the detection's results, with each of its options."""

import pytest

from sa_ngrok_detection import detection
from splunk_search import rows_spl, run_search, values

pytestmark = pytest.mark.splunk

TOKEN = "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2"
# SSH exposed by a /tmp binary started by a web server: the base 50 and three modifiers, clamped to 100.
WEB = {"dest": "web-prod-03", "user": "www-data", "parent_process_name": "apache2", "process_name": "ngrok",
       "original_file_name": "ngrok", "process": "/tmp/ngrok tcp 22 --log=stdout", "process_id": "28411",
       "parent_process_id": "1187"}
# A web tunnel with its credential on the command line: 50 + 10.
DEV = {"dest": "dev-laptop-7", "user": "dev", "parent_process_name": "bash", "process_name": "ngrok",
       "process": "ngrok http 8080 --authtoken " + TOKEN, "process_id": "4242", "parent_process_id": "4200"}
# Covered by the shipped example allowlist (lookups/ngrok_allowlist_example.csv).
CI = {"dest": "ci-runner-01", "user": "build", "parent_process_name": "bash", "process_name": "ngrok",
      "process": "ngrok http 3000 --log stdout", "process_id": "77", "parent_process_id": "70"}
EXAMPLE_REASON = "CI preview tunnels for the web team (CHG-1042)"


def score(service, rows, options=""):
    outcome = run_search(service, rows_spl(rows) + " | ngrokscore " + options)
    assert not outcome.errors, outcome
    return outcome.rows


def assert_contract(row):
    """The output fields that are never empty for these rows, with the detection's constant values."""
    assert 0 <= int(row["risk_score"]) <= 100
    assert row["risk_message"]
    assert values(row, "mitre_technique_id") == [tid for tid, _ in detection.MITRE_TECHNIQUES]
    assert values(row, "mitre_technique") == [name for _, name in detection.MITRE_TECHNIQUES]
    assert (row["mitre_tactic"], row["mitre_tactic_id"]) == (detection.MITRE_TACTIC, detection.MITRE_TACTIC_ID)
    assert row["kill_chain_phase"] == detection.KILL_CHAIN_PHASE
    assert row["analytic_story"] == detection.ANALYTIC_STORY
    assert row["detection_id"] == detection.DETECTION_ID
    assert row["allowlisted"] in ("true", "false")


def test_default_scoring(service):
    web, dev = score(service, [WEB, DEV])
    for row in (web, dev):
        assert_contract(row)
    assert web["risk_score"] == "100"
    assert values(web, "risk_reasons") == ["tunnel exposes a remote-admin port",
                                           "ngrok binary or config in a temporary or world-writable path",
                                           "started by a web server, script interpreter or scheduler"]
    assert web["risk_message"] == ("A reverse proxy was identified spawning from apache2 - ngrok on endpoint "
                                   "web-prod-03 by user www-data")
    assert (web["ngrok_subcommand"], web["ngrok_target"], web["allowlisted"]) == ("tcp", "22", "false")
    for field in WEB:
        assert web[field] == WEB[field], field
    assert dev["risk_score"] == "60"
    assert values(dev, "risk_reasons") == ["ngrok credential given on the command line"]


@pytest.mark.parametrize("options, expected", [
    ("modifiers=false", "50"),
    ("modifiers=false impact=80", "80"),
    ("modifiers=false impact=80 confidence=50", "40"),
    ("modifiers=f impact=25 confidence=50", "13"),
])
def test_impact_confidence_and_modifiers(service, options, expected):
    [row] = score(service, [WEB], options)
    assert row["risk_score"] == expected
    assert values(row, "risk_reasons") == []


def test_message_template(service):
    [row] = score(service, [WEB], 'message="ngrok $ngrok_subcommand$ to $ngrok_target$ on $dest$ scored $risk_score$"')
    assert row["risk_message"] == "ngrok tcp to 22 on web-prod-03 scored 100"


def test_redaction_on_and_off(service):
    [masked] = score(service, [DEV])
    assert masked["process"] == "ngrok http 8080 --authtoken ********"
    assert TOKEN not in repr(masked)
    [clear] = score(service, [DEV], "redact=false")
    assert clear["process"] == DEV["process"]


def test_allowlist_mark_drop_and_none(service):
    web, ci = score(service, [WEB, CI], "allowlist=ngrok_allowlist_example.csv")
    assert (web["allowlisted"], web.get("allowlist_reason", "")) == ("false", "")
    assert (ci["allowlisted"], ci["allowlist_reason"]) == ("true", EXAMPLE_REASON)
    kept = score(service, [WEB, CI], "allowlist=ngrok_allowlist_example.csv on_allowlist=drop")
    assert [row["dest"] for row in kept] == ["web-prod-03"]
    unlisted = score(service, [WEB, CI], "allowlist=none")
    assert [row["allowlisted"] for row in unlisted] == ["false", "false"]


def test_a_bad_option_value_stops_the_search_with_the_commands_error(service):
    outcome = run_search(service, rows_spl([WEB]) + " | ngrokscore impact=101")
    assert outcome.rows == []
    assert any("ngrokscore: invalid value impact='101'" in text for text in outcome.errors), outcome
