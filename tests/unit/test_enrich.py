"""The chunk enricher on its own: tables in, Splunk CSV out (pure code, from the built app)."""

import csv
import io

import pytest

from sa_ngrok_detection import detection, enrich, modifiers, options
from sa_ngrok_detection.redaction import MASK

HEADER = ["_time", "dest", "user", "parent_process_name", "process_name", "process", "process_id"]


def enricher(**given):
    settings = options.validate(given)
    table = modifiers.load_tuned() if settings.modifiers else None
    return enrich.Enricher(settings, None, table)


def process(worker, header, rows):
    """Runs one chunk; returns (output header, output rows) parsed back from the CSV the enricher wrote."""
    out = io.StringIO()
    count = worker.write(header, iter([list(row) for row in rows]), out)
    parsed = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert count == max(0, len(parsed) - 1)
    return (parsed[0], parsed[1:]) if parsed else ([], [])


def as_dicts(header, rows):
    return [dict(zip(header, row)) for row in rows]


def test_output_header_adds_every_output_field_once_before_the_input_columns():
    header, rows = process(enricher(), HEADER, [["1", "h", "u", "bash", "ngrok", "ngrok tcp 22", "7"]])
    assert header[-len(HEADER):] == HEADER
    added = [name for name in header[:-len(HEADER)] if not name.startswith("__mv_")]
    assert added == list(detection.OUTPUT_FIELDS)
    assert len(rows[0]) == len(header)


def test_each_command_line_is_parsed_once_however_many_rows_share_it(monkeypatch):
    calls = []
    real = enrich.parse_all

    def counting(command_line, redact_next=False):
        calls.append(command_line)
        return real(command_line, redact_next)

    monkeypatch.setattr(enrich, "parse_all", counting)
    worker = enricher()
    rows = [["%d" % i, "h%d" % (i % 7), "u", "bash", "ngrok", "ngrok tcp %d" % (22 + 2 * (i % 2)), str(100 + i)]
            for i in range(1000)]
    header, out = process(worker, HEADER, rows)
    assert sorted(calls) == ["ngrok tcp 22", "ngrok tcp 24"]
    table = as_dicts(header, out)
    assert [row["process_id"] for row in table] == [str(100 + i) for i in range(1000)]
    assert [row["_time"] for row in table] == [str(i) for i in range(1000)]
    assert [row["risk_score"] for row in table] == ["80", "50"] * 500


def test_the_cache_key_covers_fields_the_message_uses():
    worker = enricher(message="pid $process_id$")
    rows = [["1", "h", "u", "bash", "ngrok", "ngrok tcp 22", pid] for pid in ("1", "2", "1")]
    header, out = process(worker, HEADER, rows)
    assert [row["risk_message"] for row in as_dicts(header, out)] == ["pid 1", "pid 2", "pid 1"]


def test_a_scoring_bug_costs_one_rows_extras_not_the_chunk(monkeypatch):
    worker = enricher()
    real = enrich.parse_all

    def broken(command_line, redact_next=False):
        if "boom" in command_line:
            raise RuntimeError("simulated bug")
        return real(command_line, redact_next)

    monkeypatch.setattr(enrich, "parse_all", broken)
    rows = [["1", "h", "u", "bash", "ngrok", "ngrok tcp 22", "1"],
            ["2", "h", "u", "bash", "ngrok", "ngrok boom --authtoken SECRET", "2"],
            ["3", "h", "u", "bash", "ngrok", "ngrok http 80", "3"]]
    header, out = process(worker, HEADER, rows)
    table = as_dicts(header, out)
    assert [row["_time"] for row in table] == ["1", "2", "3"]
    assert table[1]["risk_score"] == "50"
    assert table[1]["risk_reasons"] == "not scored: internal error in ngrokscore (base score kept)"
    assert table[1]["risk_score_breakdown"] == "base 50 = 50 (not scored: internal error in ngrokscore)"
    assert table[1]["process"] == MASK  # never leak a secret when redaction could not run
    assert table[1]["mitre_tactic_id"] == "TA0011" and table[1]["allowlisted"] == "false"
    assert table[0]["risk_score"] == "80" and table[2]["ngrok_target"] == "80"
    assert worker.failed_rows == 1 and "simulated bug" in worker.last_failure


def test_short_rows_are_padded_not_dropped():
    header, out = process(enricher(), HEADER, [["1", "h"]])
    row = as_dicts(header, out)[0]
    assert row["dest"] == "h" and row["process"] == "" and row["risk_score"] == "50"


@pytest.mark.parametrize("drop, expected", [(False, ["1", "2"]), (True, ["2"])])
def test_drop_removes_only_allowlisted_rows(lookups_dir, drop, expected):
    from sa_ngrok_detection import allowlist
    with open(lookups_dir + "/a.csv", "w") as handle:
        handle.write("dest,user,parent_process_name,process,reason\nh1,,,,known\n")
    table = allowlist.load("a.csv", lookups_dir=lookups_dir)
    settings = options.validate({"on_allowlist": "drop" if drop else "mark"})
    worker = enrich.Enricher(settings, table, None)
    rows = [["1", "h1", "u", "bash", "ngrok", "ngrok tcp 22", "1"], ["2", "h2", "u", "bash", "ngrok", "x", "2"]]
    header, out = process(worker, HEADER, rows)
    assert [row["_time"] for row in as_dicts(header, out)] == expected


def test_memory_stays_bounded_when_every_chunk_has_a_new_header():
    worker = enricher()
    for number in range(20):
        header = HEADER + ["extra_%d" % number]
        process(worker, header, [["1", "h%d" % i, "u", "bash", "ngrok", "ngrok tcp 22", str(i), "x"]
                                 for i in range(50)])
    assert len(worker._plans) <= enrich._PLAN_LIMIT


def test_the_breakdown_adds_up_to_the_score_before_the_clamp():
    rows = [["1", "h", "www-data", "apache2", "ngrok", "/tmp/ngrok tcp 22", "1"],
            ["2", "h", "kim", "bash", "ngrok", "ngrok version", "2"],
            ["3", "h", "kim", "bash", "ngrok", "ngrok http 80", "3"]]
    table = as_dicts(*process(enricher(), HEADER, rows))
    assert [row["risk_score_breakdown"] for row in table] == [
        "base 50 +30 remote_admin_port +15 temporary_path +20 suspicious_parent = 115, capped at 100",
        "base 50 -40 informational_verb = 10",
        "base 50 = 50",
    ]
    assert [row["risk_score"] for row in table] == ["100", "10", "50"]
    table = as_dicts(*process(enricher(modifiers="false", impact="80"), HEADER, rows))
    assert [row["risk_score_breakdown"] for row in table] == ["base 80 = 80 (modifiers off)"] * 3


def test_the_breakdown_can_be_put_in_the_message():
    worker = enricher(message="$dest$ scored $risk_score$: $risk_score_breakdown$")
    [row] = as_dicts(*process(worker, HEADER, [["1", "h", "root", "bash", "ngrok", "ngrok http 80", "1"]]))
    assert row["risk_message"] == "h scored 60: base 50 +10 runs_as_root = 60"
