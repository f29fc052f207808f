"""The built command, through the chunked protocol, on the sample rows of the app's own searches (issue 12), with the
options each saved search gives it: a renamed agent, the verbs only the All Verbs variant sees, DNS lookups."""

import csv
import os

import pytest
from ngrokscore_local import run

from sa_ngrok_detection import detection

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RENAMED = "ngrok agent running under another name (renamed or disguised binary)"


def sample(name):
    with open(os.path.join(ROOT, "samples", name), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def options_of(extra):
    """The options of the search's ngrokscore stage, as splunkd passes them (quotes removed)."""
    words, current, quoted = [], "", False
    for char in extra.scoring().split(" ", 1)[1]:
        if char == '"':
            quoted = not quoted
        elif char == " " and not quoted:
            words.append(current)
            current = ""
        else:
            current += char
    return words + [current]


def scored(rows, extra, python):
    result = run(rows, args=options_of(extra), python=python)
    assert result.exit_code == 0, result.stderr
    assert len(result.rows) == len(rows)
    return result.rows


def reasons(row):
    value = row["risk_reasons"]
    return value if isinstance(value, list) else ([value] if value else [])


def test_renamed_samples(python):
    rows = scored(sample("ngrok_renamed.csv"), detection.RENAMED, python)
    by_dest = {row["dest"]: row for row in rows}
    kworker = by_dest["web-prod-03"]
    assert (kworker["ngrok_subcommand"], kworker["ngrok_target"]) == ("tcp", "22")
    assert RENAMED in reasons(kworker) and kworker["risk_score"] == "100"
    assert kworker["risk_message"] == ("The ngrok agent ran under another name, kworker (/tmp/.x/kworker), spawned "
                                       "from php-fpm8.2 on endpoint web-prod-03 by user www-data")
    helper = by_dest["db-01"]  # found by original_file_name; its --config names an ngrok.yml
    assert helper["ngrok_subcommand"] == "start" and RENAMED in reasons(helper)
    disguised = by_dest["jump-02"]
    assert disguised["ngrok_subcommand"] == "tls" and RENAMED in reasons(disguised)
    assert "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2oKqWzV6xE4nMiT" not in str(disguised)  # the authtoken is masked
    curl = by_dest["build-07"]  # found by an ngrok domain on its command line: not the agent
    assert RENAMED not in reasons(curl) and curl["risk_score"] == "50"


def test_all_verbs_samples(python):
    rows = scored(sample("ngrok_all_verbs.csv"), detection.ALL_VERBS, python)
    assert [row["ngrok_subcommand"] for row in rows] == ["tls", "service", "service", "tunnel"]
    assert rows[0]["ngrok_target"] == "3389" and "tunnel exposes a remote-admin port" in reasons(rows[0])
    assert "persistence: installed as a service or starting every configured tunnel" in reasons(rows[1])
    # None of these command lines is one the upstream patterns match: this is what the variant adds.
    for row in sample("ngrok_all_verbs.csv"):
        assert not any(pattern.strip("*") in row["process"] for pattern in detection.PROCESS_PATTERNS), row


def test_dns_samples(python):
    rows = scored(sample("ngrok_dns.csv"), detection.DNS, python)
    got = [(row["dest"], row["query"], row["risk_score"]) for row in rows]
    assert got == [
        ("web-prod-03", "connect.us.ngrok-agent.com", "60"),
        ("web-prod-03", "crl.ngrok-agent.com", "40"),
        ("kiosk-09", "tunnel.eu.ngrok.com", "60"),
        ("kiosk-09", "4.tcp.eu.ngrok.io", "50"),
        ("dev-laptop-12", "a1b2c3.ngrok-free.app", "40"),
    ]
    assert rows[0]["risk_message"] == "Host web-prod-03 looked up ngrok agent domain connect.us.ngrok-agent.com"
    assert all(row["detection_id"] == detection.DETECTION_ID for row in rows)


@pytest.mark.parametrize("extra", detection.EXTRA_SEARCHES, ids=lambda extra: extra.findings_macro)
def test_every_search_options_are_accepted(extra):
    result = run([{"dest": "h"}], args=options_of(extra))
    assert result.exit_code == 0, result.stderr
    assert not [message for message in result.messages if "ERROR" in str(message)], result.messages
