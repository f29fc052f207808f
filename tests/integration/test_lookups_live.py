"""The app's lookups in a real Splunk: the definitions work from SPL, and ngrokscore reads the files, including an
allowlist entry written with outputlookup."""

import csv
import os

import pytest

from splunk_search import rows_spl, run_search, values

pytestmark = pytest.mark.splunk

LOOKUP_FIELDS = "dest user parent_process_name process"


def shipped(built_app, name):
    with open(os.path.join(built_app, "lookups", name), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def search_rows(service, spl):
    outcome = run_search(service, spl)
    assert not outcome.errors, outcome
    return outcome.rows


def test_the_modifier_table_is_the_shipped_one(service, built_app):
    def table(rows):
        return [(row["modifier"], row["score"], row["reason"]) for row in rows]

    assert table(search_rows(service, "| inputlookup ngrok_risk_modifiers")) == table(
        shipped(built_app, "ngrok_risk_modifiers.csv"))


def test_the_allowlist_definition_and_the_example_file_are_readable(service, built_app):
    search_rows(service, "| inputlookup ngrok_allowlist")
    example = search_rows(service, "| inputlookup ngrok_allowlist_example.csv")
    assert [row["reason"] for row in example] == [row["reason"] for row in shipped(built_app,
                                                                                   "ngrok_allowlist_example.csv")]
    [row] = search_rows(service, rows_spl([{"dest": "web-prod-03", "user": "www-data", "parent_process_name": "apache2",
                                            "process": "/tmp/ngrok tcp 22"}])
                        + " | lookup ngrok_allowlist %s OUTPUT reason" % LOOKUP_FIELDS)
    assert row["dest"] == "web-prod-03"


def test_an_entry_written_with_outputlookup_is_listed(service, allowlist_entry):
    rows = search_rows(service, "| inputlookup ngrok_allowlist")
    assert allowlist_entry in [{name: row.get(name, "") for name in allowlist_entry} for row in rows]


def test_the_lookup_definition_matches_wildcards_without_case(service, allowlist_entry):
    listed = {"dest": allowlist_entry["dest"].upper(), "user": "IT-User", "parent_process_name": "bash",
              "process": "ngrok http 3000 --log stdout"}
    other = dict(listed, process="ngrok tcp 22")
    listed_row, other_row = search_rows(service, rows_spl([listed, other])
                                        + " | lookup ngrok_allowlist %s OUTPUT reason" % LOOKUP_FIELDS)
    assert listed_row["reason"] == allowlist_entry["reason"]
    # The definition's default_match fills unmatched rows with a placeholder: only the entry's reason matters.
    assert allowlist_entry["reason"] not in values(other_row, "reason")


def test_ngrokscore_reads_the_written_entry(service, allowlist_entry):
    row = {"dest": allowlist_entry["dest"], "user": "it-user", "parent_process_name": "bash", "process_name": "ngrok",
           "process": "ngrok http 3000 --log stdout"}
    other = dict(row, dest="it-not-listed")
    outcome = run_search(service, rows_spl([row, other]) + " | ngrokscore")
    assert not outcome.errors, outcome
    assert [(r["dest"], r["allowlisted"], r.get("allowlist_reason", "")) for r in outcome.rows] == [
        (row["dest"], "true", allowlist_entry["reason"]), ("it-not-listed", "false", "")]
    dropped = run_search(service, rows_spl([row, other]) + " | ngrokscore on_allowlist=drop")
    assert [r["dest"] for r in dropped.rows] == ["it-not-listed"]
