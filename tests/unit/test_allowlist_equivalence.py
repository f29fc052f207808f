"""The indexed allowlist decides exactly as the README's rules, written as the simplest possible matcher: every
accepted entry in file order, every pattern a regular expression, the first entry whose patterns all match wins.

Generated allowlists and rows (Hypothesis) go through the loader and index (Allowlist.match) and through the
enricher's per-value memories (the path ngrokscore runs), on small alphabets so that prefixes, suffixes and
fragments collide often, with ASCII case pairs and Unicode look-alikes (Kelvin sign, dotted I, fullwidth a).
"""

import csv
import io
import os
import re

from hypothesis import HealthCheck, event, given, settings, strategies as st

from sa_ngrok_detection import allowlist, enrich, modifiers, options
from sa_ngrok_detection.fields import encode_mv

FIELDS = allowlist.PATTERN_FIELDS
_LOOK_ALIKES = "\u212a\u0130\uff41\u00e9\u00c9"
_VALUE_CHARS = "abAB-. k" + _LOOK_ALIKES
_PATTERN_CHARS = _VALUE_CHARS + "****"


# -- the reference: README semantics, no index, no memories ---------------------------------------------------------

def _ascii_lower(text):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def _regex(pattern):
    return re.compile(".*".join(re.escape(part) for part in _ascii_lower(pattern).split("*")), re.DOTALL)


def reference_entries(entries):
    """(reason, {field: compiled pattern}) for each entry the README accepts, in file order."""
    accepted = []
    for patterns, reason in entries:
        texts = {field: text.strip() for field, text in zip(FIELDS, patterns)}
        active = {field: text for field, text in texts.items() if text.strip("*")}  # empty and "*" mean any
        if not any(text.replace("*", " ").strip() for text in active.values()):
            continue  # would allowlist everything
        if not reason.strip():
            continue
        accepted.append((reason.strip(), {field: _regex(text) for field, text in active.items()}))
    return accepted


def reference_match(accepted, row):
    for reason, patterns in accepted:
        if all(any(regex.fullmatch(_ascii_lower(value)) for value in row[field]) for field, regex in patterns.items()):
            return reason
    return None


# -- generated data -------------------------------------------------------------------------------------------------

_pattern = st.one_of(st.just(""), st.just(""), st.just(""), st.text(st.sampled_from(_PATTERN_CHARS), max_size=6))
_entries = st.lists(st.tuples(st.tuples(_pattern, _pattern, _pattern, _pattern), st.sampled_from(["r", "r", "", " "])),
                    max_size=25)
_filler = st.text(st.sampled_from(_VALUE_CHARS + "*"), max_size=3)
_SWAPS = {"k": "\u212a", "K": "\u212a", "a": "\uff41", "i": "\u0130", "I": "\u0130", "\u00e9": "\u00c9"}
# Built once: building a strategy inside every draw cost far more than the matcher under test.
_roll = st.integers(0, 9)
_row_count = st.integers(0, 12)
_value_count = st.integers(1, 2)
_from_model = st.integers(0, 4)
_random_value = st.text(st.sampled_from(_VALUE_CHARS + "*"), max_size=7)


def _value_like(draw, pattern):
    """A value made from a pattern: stars filled in, letters in either case, now and then a look-alike."""
    pieces = []
    for number, part in enumerate(pattern.split("*")):
        if number:
            pieces.append(draw(_filler))
        for char in part:
            roll = draw(_roll)
            if roll == 0 and char in _SWAPS:
                char = _SWAPS[char]
            elif roll < 4:
                char = char.swapcase() if char.isascii() else char
            pieces.append(char)
    return "".join(pieces)


@st.composite
def _rows_for(draw, entries):
    """Rows: random values, and values made from the entries' patterns so that rows often match or nearly do."""
    rows = []
    models = st.sampled_from(entries) if entries else None
    for _ in range(draw(_row_count)):
        model = draw(models)[0] if entries and draw(st.booleans()) else None
        row = {}
        for position, field in enumerate(FIELDS):
            values = []
            for _ in range(draw(_value_count)):
                if model is not None and model[position].strip() and draw(_from_model):
                    values.append(_value_like(draw, model[position].strip()))
                else:
                    values.append(draw(_random_value))
            row[field] = values
        rows.append(row)
    return rows


@st.composite
def _cases(draw):
    entries = draw(_entries)
    return entries, draw(_rows_for(entries))


def write_allowlist(folder, entries):
    """Writes the entries (reasons made unique per line when present); returns them as written."""
    written = []
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(FIELDS + ("reason",))
    for number, (patterns, reason) in enumerate(entries):
        reason = reason and (reason + str(number))
        out.writerow(patterns + (reason,))
        written.append((patterns, reason))
    with open(os.path.join(folder, "eq.csv"), "w", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
    return written


def _normalise(row):
    """A single empty value is no value, as in Splunk's CSV."""
    return {field: [] if values == [""] else values for field, values in row.items()}


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_cases())
def test_the_index_decides_as_the_reference(tmp_path, case):
    entries, rows = case
    written = write_allowlist(str(tmp_path), entries)
    table = allowlist.load("eq.csv", lookups_dir=str(tmp_path), cache_dir=None)
    accepted = reference_entries(written)
    assert len(table.entries) == len(accepted)
    matched = []
    for row in map(_normalise, rows):
        found = table.match(lambda field: [_ascii_lower(value) for value in row[field]])
        expected = reference_match(accepted, row)
        assert (found.reason if found else None) == expected, row
        matched.append(expected is not None)
    # Not a check of the matcher: a guard that the generator keeps producing rows that match.
    event("rows matched: %s" % ("some" if any(matched) else "none"))


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_cases())
def test_the_enricher_decides_as_the_reference(tmp_path, case):
    entries, rows = case
    written = write_allowlist(str(tmp_path), entries)
    table = allowlist.load("eq.csv", lookups_dir=str(tmp_path), cache_dir=None)
    accepted = reference_entries(written)
    worker = enrich.Enricher(options.validate({"modifiers": "false"}), table, None)
    header = []
    for field in FIELDS:
        header += [field, "__mv_" + field]
    table_rows = []
    for row in rows:
        cells = []
        for field in FIELDS:
            cells += ["\n".join(row[field]), encode_mv(row[field])]
        table_rows.append(cells)
    # Twice, so that the second pass is answered from the memories the first one filled.
    for _ in range(2):
        out = io.StringIO()
        worker.write(header, iter([list(cells) for cells in table_rows]), out)
        parsed = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
        if not rows:
            assert parsed == []
            continue
        position = parsed[0].index("allowlist_reason")
        got = [line[position] or None for line in parsed[1:]]
        assert got == [reference_match(accepted, _normalise(row)) for row in rows]


# Modifiers on row fields: an allowlist field that modifiers also test shares their per-value memory, and process,
# when no modifier tests it, is remembered with the row's command line. Both ways, with rows repeating inside a chunk.
_MODIFIERS = (
    "modifier,field,patterns,score,reason,enabled\n"
    "on_dest,dest,a*|*k,5,dest,true\n"
    "on_user,user,*b*|\u212a,7,user,true\n"
    "on_parent,parent_process_name,a|b*,11,parent,true\n"
)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_cases(), st.booleans())
def test_the_enricher_with_row_modifiers_decides_and_scores_as_the_reference(tmp_path, case, process_modifier):
    entries, rows = case
    written = write_allowlist(str(tmp_path), entries)
    table = allowlist.load("eq.csv", lookups_dir=str(tmp_path), cache_dir=None)
    accepted = reference_entries(written)
    text = _MODIFIERS + ("on_process,process,*a*|-*,13,process,true\n" if process_modifier else "")
    with open(os.path.join(str(tmp_path), "mods.csv"), "w", encoding="utf-8") as handle:
        handle.write(text)
    modifier_table = modifiers.load("mods.csv", lookups_dir=str(tmp_path))
    assert not modifier_table.errors
    worker = enrich.Enricher(options.validate({}), table, modifier_table)
    plain = enrich.Enricher(options.validate({"allowlist": "none"}), None, modifier_table)
    header = []
    for field in FIELDS:
        header += [field, "__mv_" + field]
    table_rows = []
    for row in rows + rows[::-1]:  # every row twice in one chunk: the second time from the memories
        cells = []
        for field in FIELDS:
            cells += ["\n".join(row[field]), encode_mv(row[field])]
        table_rows.append(cells)
    expected = [reference_match(accepted, _normalise(row)) for row in rows + rows[::-1]]

    def columns(enricher, names):
        out = io.StringIO()
        enricher.write(header, iter([list(cells) for cells in table_rows]), out)
        parsed = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
        if not parsed:
            return []
        positions = [parsed[0].index(name) for name in names]
        return [tuple(line[position] for position in positions) for line in parsed[1:]]

    for _ in range(2):
        got = columns(worker, ("allowlist_reason", "risk_score", "risk_reasons"))
        assert [reason or None for reason, _, _ in got] == expected
        assert [scores for _, *scores in got] == [list(cells) for cells in columns(plain, ("risk_score", "risk_reasons"))]
    event("rows allowlisted: %s" % ("some" if any(expected) else "none"))


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_cases())
def test_an_allowlist_loaded_from_the_cache_decides_as_one_parsed_afresh(tmp_path, case):
    entries, rows = case
    write_allowlist(str(tmp_path), entries)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700, exist_ok=True)
    fresh = allowlist.load("eq.csv", lookups_dir=str(tmp_path), cache_dir=str(cache))
    cached = allowlist.load("eq.csv", lookups_dir=str(tmp_path), cache_dir=str(cache))
    assert (cached.errors, cached.expired_lines, len(cached)) == (fresh.errors, fresh.expired_lines, len(fresh))
    for row in map(_normalise, rows):
        def values_of(field):
            return [_ascii_lower(value) for value in row[field]]
        one, other = fresh.match(values_of), cached.match(values_of)
        assert (one and one.line) == (other and other.line)


# -- many keys of one kind: the index's C paths (one table per kind, fragments cut with ready-made slices) -------------

_infix = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789AB-. \u212a"), min_size=4, max_size=7).map(
    lambda text: "*" + text + "*")
_edge = st.text(st.sampled_from("abAB-. k\u212a"), min_size=1, max_size=5)
_shaped = st.one_of(_infix, _edge.map(lambda text: text + "*"), _edge.map(lambda text: "*" + text),
                    st.tuples(_edge, _edge, _edge).map("*".join), _edge)
# At least 36 infix dest entries with fragments of 4 characters or more: more keys of one length than
# allowlist._FEW_FRAGMENTS, so that values are cut into slices; the rest of any shape, in any order.
_infix_entries = st.lists(st.tuples(st.tuples(_infix, st.one_of(st.just(""), _pattern), st.just(""), st.just("")),
                                    st.just("r")), min_size=36, max_size=50)
_other_entries = st.lists(st.tuples(st.tuples(_shaped, st.one_of(st.just(""), _pattern), st.just(""),
                                              st.one_of(st.just(""), _shaped)), st.just("r")), max_size=40)


@st.composite
def _many_cases(draw):
    entries = draw(st.permutations(draw(_infix_entries) + draw(_other_entries)))
    return entries, draw(_rows_for(entries))


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_many_cases())
def test_an_index_with_many_keys_of_each_kind_decides_as_the_reference(tmp_path, case):
    entries, rows = case
    written = write_allowlist(str(tmp_path), entries)
    table = allowlist.load("eq.csv", lookups_dir=str(tmp_path), cache_dir=None)
    accepted = reference_entries(written)
    event("fragment tables over %d keys: %s" % (allowlist._FEW_FRAGMENTS, any(
        index.fragment_lengths for index in table._fields.values())))
    for row in map(_normalise, rows):
        found = table.match(lambda field: [_ascii_lower(value) for value in row[field]])
        assert (found.reason if found else None) == reference_match(accepted, row), row
    # The enricher's own path for plain columns (no __mv_ columns: the row's keys read by one itemgetter).
    worker = enrich.Enricher(options.validate({"modifiers": "false"}), table, None)
    single = [{field: row[field][:1] for field in FIELDS} for row in rows]
    for _ in range(2):
        out = io.StringIO()
        worker.write(list(FIELDS), iter([[row[field][0] if row[field] else "" for field in FIELDS] for row in single]),
                     out)
        parsed = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
        if rows:
            position = parsed[0].index("allowlist_reason")
            assert [line[position] or None for line in parsed[1:]] == [
                reference_match(accepted, _normalise(row)) for row in single]


def test_long_values_against_many_fragment_keys_decide_as_the_reference(tmp_path):
    # 60 infix entries (a fragment table too large to search key by key) and values past the sliced positions.
    entries = [(("*q%02dz*" % number, "", "", ""), "r") for number in range(60)]
    entries += [(("*Kq7*", "", "", "x*"), "r"), (("ab*q59z*y", "", "", ""), "r")]
    written = write_allowlist(str(tmp_path), entries)
    table = allowlist.load("eq.csv", lookups_dir=str(tmp_path), cache_dir=None)
    assert table._fields["dest"].fragment_lengths  # more keys of one length than allowlist._FEW_FRAGMENTS
    accepted = reference_entries(written)
    filler = "ab-. " * 1000  # 5,000 characters: more positions than allowlist._SLICED_POSITIONS
    for dest in [filler, filler + "q41z", "q03z" + filler, filler + "Q59Z" + filler, "ab" + filler + "q59zy",
                 "ab" + filler + "q59zY", filler + "\u212aq7", filler + "kq7", filler[:4090] + "q1zq12z", "q60z",
                 "q41z", "xq07zx", "abq59zy"]:
        for process in ("", "x-ray"):
            row = {"dest": [dest], "user": [], "parent_process_name": [], "process": [process] if process else []}
            found = table.match(lambda field: [_ascii_lower(value) for value in row[field]])
            assert (found.reason if found else None) == reference_match(accepted, row), dest[-20:]


# -- remembered decisions (enrich._Decision): rows that repeat the value candidates were found under, with other ------
# values in the fields those candidates still test, entries testing several fields, and memories evicted often.

def _has_patterns(patterns, least):
    return sum(1 for text in patterns if text.strip().strip("*")) >= least


_several_fields = st.tuples(_pattern, _pattern, _pattern, _pattern).filter(lambda patterns: _has_patterns(patterns, 2))
_decision_entries = st.lists(st.tuples(st.one_of(_several_fields, _several_fields, st.tuples(
    _pattern, _pattern, _pattern, _pattern)), st.sampled_from(["r", "r", "r", ""])), min_size=1, max_size=20)


@st.composite
def _variant_cases(draw):
    """Rows, each followed by variants that keep some fields and take other rows' values (or random ones) in the
    rest: the same candidates with the fields they test now matching, now not."""
    entries = draw(_decision_entries)
    base = draw(_rows_for(entries))
    pool = {field: [values for row in base for values in [row[field]]] for field in FIELDS}
    rows = []
    for row in base:
        rows.append(row)
        for _ in range(draw(st.integers(0, 4))):
            variant = dict(row)
            for field in draw(st.lists(st.sampled_from(FIELDS), max_size=2, unique=True)):
                if pool[field] and draw(st.booleans()):
                    variant[field] = draw(st.sampled_from(pool[field]))
                else:
                    variant[field] = [draw(_random_value) for _ in range(draw(_value_count))]
            rows.append(variant)
    return entries, rows


def _decided(worker, rows, multivalue):
    """allowlist_reason of each row as the enricher writes it, with __mv_ columns or as plain single values."""
    header = []
    for field in FIELDS:
        header += [field, "__mv_" + field] if multivalue else [field]
    lines = []
    for row in rows:
        cells = []
        for field in FIELDS:
            cells += ["\n".join(row[field]), encode_mv(row[field])] if multivalue else [row[field][0]]
        lines.append(cells)
    out = io.StringIO()
    worker.write(header, iter(lines), out)
    parsed = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    if not parsed:
        return []
    position = parsed[0].index("allowlist_reason")
    return [line[position] or None for line in parsed[1:]]


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_variant_cases(), st.sampled_from([1, 2, 3, 7, enrich._MEMORY_LIMIT]), st.booleans(), st.booleans())
def test_remembered_decisions_decide_as_the_reference(tmp_path, case, memory_limit, multivalue, row_modifiers):
    entries, rows = case
    if not multivalue:
        rows = [{field: values[:1] or [""] for field, values in row.items()} for row in rows]
    written = write_allowlist(str(tmp_path), entries)
    table = allowlist.load("eq.csv", lookups_dir=str(tmp_path), cache_dir=None)
    accepted = reference_entries(written)
    modifier_table = None
    if row_modifiers:  # user and parent then share the modifiers' memories
        with open(os.path.join(str(tmp_path), "mods.csv"), "w", encoding="utf-8") as handle:
            handle.write(_MODIFIERS)
        modifier_table = modifiers.load("mods.csv", lookups_dir=str(tmp_path))
    worker = enrich.Enricher(options.validate({"modifiers": "true" if row_modifiers else "false"}), table,
                             modifier_table)
    expected = [reference_match(accepted, _normalise(row)) for row in rows]
    saved = enrich._MEMORY_LIMIT
    enrich._MEMORY_LIMIT = memory_limit  # a small limit: every memory is cleared and refilled again and again
    try:
        for _ in range(2):  # the second time from whatever the memories kept
            assert _decided(worker, rows, multivalue) == (expected if rows else [])
    finally:
        enrich._MEMORY_LIMIT = saved
    event("rows allowlisted: %s" % ("some" if any(expected) else "none"))
    event("rows not allowlisted whose candidates were compared: %s" % (
        "some" if any(found is None and reference_match(accepted, _normalise(row)) is None for row, found in
                      zip(rows, expected)) else "none"))


def test_remembered_decisions_test_only_what_the_index_did_not_and_keep_no_long_value(tmp_path):
    # dest-indexed entries that also test user and process; a fleet's hosts share one decision; a long process is
    # compared, never kept in the memory of decisions.
    entries = [(("ci-*", "b*", "", "*ngrok*"), "ci"), (("ci-0*", "", "", "*ngrok http 3000*"), "preview"),
               (("web-01", "", "", ""), "web"), (("web-01", "root", "", ""), "never: web wins first")]
    written = write_allowlist(str(tmp_path), entries)
    table = allowlist.load("eq.csv", lookups_dir=str(tmp_path), cache_dir=None)
    accepted = reference_entries(written)
    long_line = "ngrok http 3000 " + "--log=stdout " * 200
    rows = [{"dest": [dest], "user": [user], "parent_process_name": ["bash"], "process": [process]}
            for dest in ("ci-01", "CI-02", "web-01", "db-01")
            for user in ("build", "Build", "jenkins", "bob")
            for process in ("ngrok tcp 22", "ngrok http 3000", long_line)]
    worker = enrich.Enricher(options.validate({"modifiers": "false"}), table, None)
    expected = [reference_match(accepted, _normalise(row)) for row in rows]
    assert set(expected) == {"ci0", "preview1", "web2", None}
    for _ in range(2):
        assert _decided(worker, rows, False) == expected
    plan = next(iter(worker._plans.values()))
    fleet = [decision for decision in plan.decision_of.values() if decision.entries[0].reason == "ci0"]
    assert len(fleet) == 1 and len(fleet[0].entries) == 2  # ci-01 and CI-02 found the same candidates: one decision
    assert [len(tests) for _, tests in fleet[0].checks] == [2, 1]  # dest, matched by the index, is not tested again
    web = [decision for decision in plan.decision_of.values() if decision.entries[0].reason == "web2"]
    assert len(web) == 1 and web[0].settled.reason == "web2"  # decided without looking at the row
    kept = [values for _, values in plan.decisions]
    assert kept and all(len(value) <= enrich._SHORT for values in kept for value in values)
