"""The allowlist loader and matcher (pure code, from the built app)."""

import datetime
import os

import pytest

from sa_ngrok_detection import allowlist

HEADER = "dest,user,parent_process_name,process,reason,owner,expires\n"
TODAY = datetime.date(2026, 11, 27)


def load(lookups_dir, body, name="allow.csv", header=HEADER):
    with open(os.path.join(lookups_dir, name), "w", encoding="utf-8", newline="") as handle:
        handle.write(header + body)
    return allowlist.load(name, today=TODAY, lookups_dir=lookups_dir)


def values_of(row):
    return lambda field: [value.lower() for value in row.get(field, [])]


def test_every_pattern_must_match_and_empty_means_any(lookups_dir):
    table = load(lookups_dir, "web-*,www-data,,*tcp 22*,web tunnel,sec@example.com,\n")
    assert table.errors == [] and len(table.entries) == 1
    hit = {"dest": ["WEB-01"], "user": ["WWW-DATA"], "process": ["ngrok tcp 22"], "parent_process_name": ["x"]}
    assert table.match(values_of(hit)).reason == "web tunnel"
    assert table.match(values_of(dict(hit, user=["root"]))) is None
    assert table.match(values_of(dict(hit, process=["ngrok tcp 2222x"]))) is not None  # *tcp 22* is a substring
    assert table.match(values_of(dict(hit, process=["ngrok http 22"]))) is None
    assert table.match(values_of({"user": ["www-data"], "process": ["ngrok tcp 22"]})) is None  # no dest at all


def test_any_value_of_a_multivalue_field_can_match(lookups_dir):
    table = load(lookups_dir, "db-01,,,,db,,\n")
    assert table.match(values_of({"dest": ["other", "db-01"]})).reason == "db"


def test_first_matching_entry_in_file_order_wins(lookups_dir):
    table = load(lookups_dir, "*,root,,,root anywhere,,\nhost-1,,,,this host,,\nhost-1,root,,,both,,\n")
    assert table.match(values_of({"dest": ["host-1"], "user": ["root"]})).reason == "root anywhere"
    assert table.match(values_of({"dest": ["host-1"], "user": ["kim"]})).reason == "this host"


@pytest.mark.parametrize("line, problem", [
    (",,,,everything,,", "would allowlist everything"),
    ("*,**,***,*,everything,,", "would allowlist everything"),
    ("  , \t,,*,whitespace and stars,,", "would allowlist everything"),
    ("host,,,,,,", "the reason is empty"),
    ("host,,,,   ,,", "the reason is empty"),
    ("host,,,,r,,2026-02-30", "'2026-02-30' is not a date"),
    ("host,,,,r,,27/11/2026", "'27/11/2026' is not a date"),
    ("host,,,,r,,tomorrow", "'tomorrow' is not a date"),
    ("host,,,,r,,2026-1-1", "'2026-1-1' is not a date"),
    ("host,,,r", "has 4 fields where the header has 7"),
    ("host,,,,r,,,extra", "has 8 fields where the header has 7"),
])
def test_refused_entries_are_reported_with_file_and_line(lookups_dir, line, problem):
    table = load(lookups_dir, "good,,,,kept,,\n" + line + "\n")
    assert [entry.reason for entry in table.entries] == ["kept"]
    [error] = table.errors
    assert error.startswith("allow.csv line 3: ") and problem in error and error.endswith("entry ignored")


def test_expiry_is_inclusive_of_the_last_day(lookups_dir):
    table = load(lookups_dir, "a,,,,yesterday,,2026-11-26\nb,,,,today,,2026-11-27\nc,,,,later,,2027-01-01\n")
    assert [entry.reason for entry in table.entries] == ["today", "later"]
    assert table.expired_lines == [2]
    assert table.warnings == ["allow.csv: 1 expired entry ignored (line 2); renew or remove them"]
    assert table.errors == []


def test_many_expired_entries_are_summarised(lookups_dir):
    table = load(lookups_dir, "".join("h%d,,,,old,,2020-01-01\n" % i for i in range(25)))
    [warning] = table.warnings
    assert warning.startswith("allow.csv: 25 expired entries ignored (lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and "
                              "15 more)")


def test_owner_and_expires_columns_are_optional(lookups_dir):
    table = load(lookups_dir, "h1,,,,no dates\n", header="dest,user,parent_process_name,process,reason\n")
    assert table.errors == [] and table.match(values_of({"dest": ["h1"]})).reason == "no dates"


def test_a_file_that_cannot_be_used_reports_one_error(lookups_dir):
    table = allowlist.load("missing.csv", today=TODAY, lookups_dir=lookups_dir)
    assert table.entries == [] and len(table.errors) == 1 and "missing.csv" in table.errors[0]
    assert table.match(values_of({"dest": ["x"]})) is None


def test_entries_before_a_malformed_line_still_apply(lookups_dir):
    table = load(lookups_dir, 'h1,,,,first,,\nh2,,,"broken,second,,\n')
    assert [entry.reason for entry in table.entries] == ["first"]
    [error] = table.errors
    assert "malformed CSV" in error and "entries read before it still apply" in error


def test_ten_thousand_entries_do_not_mean_ten_thousand_comparisons(lookups_dir):
    body = "".join("host-%05d,svc,,,entry %d,,\n" % (i, i) for i in range(9990))
    body += "".join("ci-%d-*,build,,,wildcard %d,,\n" % (i, i) for i in range(10))
    table = load(lookups_dir, body)
    assert len(table.entries) == 10000 and table.errors == []
    row = values_of({"dest": ["host-04321"], "user": ["svc"]})
    candidates = table.candidates(row)
    assert len(candidates) == 1  # the wildcard entries are indexed under their literal user, "build"
    assert table.match(row).reason == "entry 4321"
    assert len(table.candidates(values_of({"dest": ["ci-7-abc"], "user": ["build"]}))) == 10
    assert table.match(values_of({"dest": ["ci-7-abc"], "user": ["build"]})).reason == "wildcard 7"
    assert table.match(values_of({"dest": ["nowhere"], "user": ["svc"]})) is None


def test_entries_with_only_wildcards_are_compared_with_every_row(lookups_dir):
    table = load(lookups_dir, "web-*,,,,w,,\nexact,,,,e,,\n")
    assert [entry.reason for entry in table.candidates(values_of({"dest": ["zzz"]}))] == ["w"]
    assert [entry.reason for entry in table.candidates(values_of({"dest": ["exact"]}))] == ["w", "e"]
