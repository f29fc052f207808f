"""Unit tests for sa_ngrok_detection.identity: which values name someone, and how messages show the others."""

import pytest

from sa_ngrok_detection import detection
from sa_ngrok_detection.identity import UNKNOWN, is_identity, shown
from sa_ngrok_detection.template import render


@pytest.mark.parametrize("value", [None, "", " ", "null", "NULL", "Null", " null ", "unknown", "UNKNOWN", "-", " - ",
                                   "N/A", "n/a", "\tN/A\n"])
def test_placeholders_are_not_identities(value):
    assert not is_identity(value)
    assert shown(value) == UNKNOWN


@pytest.mark.parametrize("value", ["root", "www-data", "web-01", "nullable", "null-host", "--", "n/a2", "0", "ünknown",
                                   "unknown user", "N/A/B"])
def test_everything_else_is_an_identity(value):
    assert is_identity(value)
    assert shown(value) == value


def test_messages_show_placeholders_as_unknown():
    row = {"parent_process_name": "bash", "process_name": "ngrok", "dest": ["null", "web-01", "-"], "user": "NULL"}
    assert render(detection.DEFAULT_MESSAGE, row.get) == (
        "A reverse proxy was identified spawning from bash - ngrok on endpoint web-01 by user unknown")


def test_the_built_command_shows_placeholders_as_unknown_in_its_messages():
    """Through the built ngrokscore and the real protocol: fillnull_value=null gives user=null."""
    from ngrokscore_local import run
    result = run([{"dest": "web-01", "user": "null", "parent_process_name": "bash", "process_name": "ngrok",
                   "process": "ngrok tcp 22"},
                  {"dest": ["N/A", "db-01"], "user": "-", "parent_process_name": "bash", "process_name": "ngrok",
                   "process": "ngrok http 80"}])
    assert result.exit_code == 0, result.stderr
    assert [row["risk_message"] for row in result.rows] == [
        "A reverse proxy was identified spawning from bash - ngrok on endpoint web-01 by user unknown",
        "A reverse proxy was identified spawning from bash - ngrok on endpoint db-01 by user unknown"]
    assert [row["user"] for row in result.rows] == ["null", "-"]  # the fields themselves pass through as they came
