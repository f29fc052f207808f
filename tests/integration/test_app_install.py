"""The app as a real Splunk loads it: installed, enabled, the built version and label, its command and alert action
registered, and no errors logged about it."""

import pytest

import build
from splunk_search import APP_ID, is_true, rest_content, rest_entries, run_search

pytestmark = pytest.mark.splunk


def test_the_app_is_installed_enabled_with_the_built_version_and_label(admin, built_app):
    app = rest_content(admin, "apps/local/" + APP_ID)
    assert not is_true(app["disabled"])
    assert app["version"] == build.app_version(built_app)
    assert app["label"] == "Ngrok Reverse Proxy Detection"
    assert is_true(app["visible"])


def test_the_command_and_the_alert_action_are_registered(splunk, service):
    command = rest_content(service, "configs/conf-commands/ngrokscore")
    assert command["filename"] == "ngrokscore.py"
    assert is_true(command["chunked"])
    action = rest_content(service, "alerts/alert_actions/ngrok_risk")
    assert is_true(action["is_custom"])
    assert action["payload_format"] == "json"
    assert action["label"] == "Ngrok risk events"


def test_splunk_logged_no_error_about_the_app(splunk, admin):
    # From start-up to the moment the suite began using this Splunk: what the tests provoke later (bad options,
    # refused deliveries) is theirs, whatever order they run in.
    since = int(splunk.startup_time) - 60
    outcome = run_search(admin, 'search index=_internal sourcetype=splunkd (log_level=ERROR OR log_level=FATAL) '
                                '"%s" | table _time component _raw' % APP_ID,
                         earliest_time=str(since), latest_time=str(int(splunk.ready_time) + 1))
    assert not outcome.errors, outcome
    assert outcome.rows == [], "splunkd.log errors about the app:\n%s" % "\n".join(row["_raw"] for row in outcome.rows)
    bulletins = [content.get("message", "") for _, content in rest_entries(admin, "messages")
                 if content.get("severity") in ("error", "critical")]
    assert not [text for text in bulletins if APP_ID in text or "ngrok" in text], bulletins
