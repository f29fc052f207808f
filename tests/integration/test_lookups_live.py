"""The app's lookups in a real Splunk: every definition whose file the package ships serves exactly that file, the
admin's allowlist takes entries written as Splunk Web writes them (outputlookup to its definition), the definition
matches with wildcards and without case, and ngrokscore reads the written entry."""

import configparser
import csv
import os

import pytest

from splunk_search import rows_spl, run_search, values

pytestmark = pytest.mark.splunk

LOOKUP_FIELDS = "dest user parent_process_name process"


def shipped_definitions(built_app):
    """{definition: file name} of the built transforms.conf stanzas whose file the package ships."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(os.path.join(built_app, "default", "transforms.conf"), encoding="utf-8")
    return {name: parser.get(name, "filename") for name in parser.sections()
            if parser.has_option(name, "filename")
            and os.path.isfile(os.path.join(built_app, "lookups", parser.get(name, "filename")))}


def shipped(built_app, name):
    with open(os.path.join(built_app, "lookups", name), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def search_rows(service, spl):
    outcome = run_search(service, spl)
    assert not outcome.errors, outcome
    return outcome.rows


def as_table(rows, columns):
    """Rows as tuples of the given columns; Splunk leaves empty fields out of results."""
    return [tuple(row.get(column) or "" for column in columns) for row in rows]


def test_every_shipped_lookup_definition_serves_its_file_exactly(service, built_app):
    definitions = shipped_definitions(built_app)
    assert definitions, "the built app ships no lookup file behind a definition"
    for definition, file_name in sorted(definitions.items()):
        expected = shipped(built_app, file_name)
        columns = list(expected[0]) if expected else []
        assert as_table(search_rows(service, "| inputlookup " + definition), columns) == as_table(expected, columns), (
            definition)


def test_the_example_allowlist_file_is_served_exactly(service, built_app):
    expected = shipped(built_app, "ngrok_allowlist_example.csv")
    columns = list(expected[0])
    assert as_table(search_rows(service, "| inputlookup ngrok_allowlist_example.csv"), columns) == as_table(
        expected, columns)


def test_an_entry_written_with_outputlookup_is_the_allowlist(service, allowlist_entry):
    rows = search_rows(service, "| inputlookup ngrok_allowlist | search reason=\"%s\"" % allowlist_entry["reason"])
    assert as_table(rows, list(allowlist_entry)) == [tuple(allowlist_entry.values())]


def test_the_lookup_definition_matches_wildcards_without_case(service, allowlist_entry):
    listed = {"dest": allowlist_entry["dest"].upper(), "user": "IT-User", "parent_process_name": "bash",
              "process": "ngrok http 3000 --log stdout"}
    other = dict(listed, process="ngrok tcp 22")
    listed_row, other_row = search_rows(service, rows_spl([listed, other])
                                        + " | lookup ngrok_allowlist %s OUTPUT reason owner expires" % LOOKUP_FIELDS)
    assert (listed_row["reason"], listed_row["owner"], listed_row["expires"]) == (
        allowlist_entry["reason"], allowlist_entry["owner"], allowlist_entry["expires"])
    assert values(other_row, "reason") == []  # no default_match: an unlisted row gets no reason
    assert other_row["process"] == "ngrok tcp 22"


def test_ngrokscore_reads_the_written_entry(service, allowlist_entry):
    row = {"dest": allowlist_entry["dest"], "user": "it-user", "parent_process_name": "bash", "process_name": "ngrok",
           "process": "ngrok http 3000 --log stdout"}
    other = dict(row, dest="it-not-listed")
    outcome = run_search(service, rows_spl([row, other]) + " | ngrokscore")
    assert not outcome.errors, outcome
    assert [(r["dest"], r["allowlisted"], r.get("allowlist_reason", "")) for r in outcome.rows] == [
        (row["dest"], "true", allowlist_entry["reason"]), ("it-not-listed", "false", "")]
    dropped = run_search(service, rows_spl([row, other]) + " | ngrokscore on_allowlist=drop")
    assert not dropped.errors, dropped
    assert [r["dest"] for r in dropped.rows] == ["it-not-listed"]
