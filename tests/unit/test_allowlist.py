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
    assert len(table.candidates(row)) == 1
    assert table.match(row).reason == "entry 4321"
    # ci-7-* is indexed under its prefix, the key no other entry shares: one candidate, not ten.
    assert [entry.reason for entry in table.candidates(values_of({"dest": ["ci-7-abc"], "user": ["build"]}))] \
        == ["wildcard 7"]
    assert table.match(values_of({"dest": ["ci-7-abc"], "user": ["build"]})).reason == "wildcard 7"
    assert table.match(values_of({"dest": ["nowhere"], "user": ["svc"]})) is None
    assert table.unindexed == ()


def test_wildcard_entries_are_indexed_not_compared_with_every_row(lookups_dir):
    table = load(lookups_dir, "web-*,,,,w,,\nexact,,,,e,,\n")
    assert [entry.reason for entry in table.candidates(values_of({"dest": ["zzz"]}))] == []
    assert [entry.reason for entry in table.candidates(values_of({"dest": ["exact"]}))] == ["e"]
    assert [entry.reason for entry in table.candidates(values_of({"dest": ["web-1"]}))] == ["w"]


SHAPES = {
    "exact dest": lambda i: ("lab-%05d" % i, "", "", ""),
    "exact user": lambda i: ("", "svc-%05d" % i, "", ""),
    "trailing wildcard dest": lambda i: ("lab-%05d*" % i, "", "", ""),
    "leading wildcard dest": lambda i: ("*.n%05d.corp.example" % i, "", "", ""),
    "infix process": lambda i: ("", "", "", "*ngrok http %05d*" % i),
    "several wildcards process": lambda i: ("", "", "", "*ngrok*--config*/opt/%05d/*" % i),
    "trailing wildcard process": lambda i: ("", "", "", "ngrok tcp 9%05d*" % i),
    "parent and user": lambda i: ("", "u%05d*" % i, "*p%05d" % i, ""),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_of_entry_is_indexed(lookups_dir, shape):
    """10,000 entries of one shape: a row that matches one of them meets at most a handful of candidates."""
    make = SHAPES[shape]
    body = "".join("%s,%s,%s,%s,entry %d,,\n" % (make(i) + (i,)) for i in range(10000))
    table = load(lookups_dir, body)
    assert table.errors == [] and len(table.entries) == 10000 and table.unindexed == ()
    i = 4321
    dest, user, parent, process = (text.replace("*", "") for text in make(i))
    row = {"dest": [dest or "x"], "user": [user or "x"], "parent_process_name": [parent or "x"],
           "process": [process or "x"]}
    if shape == "several wildcards process":
        row["process"] = ["/bin/ngrok start --config /opt/04321/a.yml"]
    assert table.match(values_of(row)).reason == "entry 4321"
    assert len(table.candidates(values_of(row))) <= 5
    assert table.match(values_of({"dest": ["nothing"], "process": ["ngrok tcp 22"]})) is None


@pytest.mark.parametrize("patterns", [
    ("*", "*", "*", "*"), ("* *", "* *", "* *", "* *"), ("**", "", "", ""), (" * ", "", "", "*\t*"),
    ("", "", "", "* *"), ("* ** *", "", "**", ""),
])
def test_entries_made_only_of_wildcards_and_spaces_are_refused(lookups_dir, patterns):
    table = load(lookups_dir, "%s,%s,%s,%s,everything,," % patterns + "\n")
    assert table.entries == []
    [error] = table.errors
    assert error.startswith("allow.csv line 2: ") and "would allowlist everything" in error


def test_a_wildcard_only_pattern_still_applies_next_to_a_restrictive_one(lookups_dir):
    table = load(lookups_dir, "web-01,,,* *,web host with arguments,,\n")
    assert table.errors == []
    assert table.match(values_of({"dest": ["web-01"], "process": ["ngrok tcp 22"]})).reason.startswith("web host")
    assert table.match(values_of({"dest": ["web-01"], "process": ["ngrok"]})) is None


@pytest.mark.parametrize("pattern, value, matched", [
    ("kali-*", "KALI-01", True),  # ASCII letters still match in either case
    ("kali-*", "\u212aali-01", False),  # KELVIN SIGN lowercases to k in Unicode, not here
    ("kiosk", "\u212aIOSK", False),
    ("*-ci", "build-\u0130\u0130", False),  # dotted capital I lowercases to i + combining dot in Unicode
    ("admin", "\uff41dmin", False),  # fullwidth a: NFKC would map it to a
    ("\u00e9quipe-*", "\u00e9quipe-1", True),  # non-ASCII letters match themselves...
    ("\u00e9quipe-*", "\u00c9quipe-1", False),  # ...and only themselves
])
def test_case_insensitive_for_ascii_letters_only(lookups_dir, pattern, value, matched):
    table = load(lookups_dir, "%s,,,,r,,\n" % pattern)
    assert table.errors == []
    found = table.match(lambda field: [allowlist.ascii_lower(value)] if field == "dest" else [])
    assert (found is not None) is matched


def test_cr_only_line_endings_are_reported_not_read_as_an_empty_list(lookups_dir):
    table = load(lookups_dir, "web-01,,,,r,,\r", header=HEADER.replace("\n", "\r"))
    assert table.entries == []
    [error] = table.errors
    assert "allow.csv" in error and "carriage return" in error and "LF" in error
