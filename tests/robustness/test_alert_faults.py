"""Fault injection for the ngrok_risk alert action, run as splunkd runs it (the built bin/ngrok_risk.py):

- results against a receiver that fails 30% of requests (errors, redirects, stalls, one-byte-at-a-time answers,
  dropped connections, lost replies): every event is delivered once, delivered twice after a lost reply (and counted
  as a possible duplicate), or reported as not delivered or unconfirmed;
- a run killed midway and run again: nothing is lost, and what the killed run delivered arrives again with the same
  risk_event_id (so a count of distinct ids is exact);
- generated text outside Latin-1 and hostile to parsers in every alert field: every result's events arrive and read
  as intended (stash_new breaker; DELIMS, auto and auto_escaped extraction);
- a healthy receiver at scale: batches in order, memory bounded.

Scale: ROBUSTNESS_ALERT_ROWS results (scripts/robustness.py sets 100,000; `make test` runs 2,000, enough for every
claim but the scale itself). Nothing depends on the machine's speed: faults are decided by request number, stalled
and trickling requests never complete on their own, and the assertions are the accounting invariants, which hold
whatever retries a slow machine causes. The figures go to reports/robustness/ for the campaign's results table."""

import json
import os
import random
import re
import signal
import subprocess
import sys
import time

import pytest

from receiver_stand_in import fields_of, parse_stash
from stash_readers import READERS, fields, split_stash_new

from sa_ngrok_detection.risk_events import MAX_VALUE_CHARS, cap, clean

ROWS = int(os.environ.get("ROBUSTNESS_ALERT_ROWS", "2000"))
BATCH = "1000" if ROWS >= 20000 else "100"
REPORTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "reports",
                       "robustness")


def rows():
    return [{"dest": "host-%05d" % i, "user": "u%d" % (i % 97), "parent_process_name": "bash",
             "process_name": "ngrok", "process": "ngrok tcp %d" % (1000 + i % 700), "risk_score": str(i % 101)}
            for i in range(ROWS)]


def event_keys(accepted):
    keys = []
    for _, _, _, body in accepted:
        for event in parse_stash(body):
            values = fields_of(event)
            keys.append((values["orig_rid"], values["risk_object"], values["risk_event_id"]))
    return keys


def summary_numbers(log):
    match = re.search(r"(\d+) results, (\d+) risk events, (\d+) delivered, (\d+) not delivered, (\d+) "
                      r"unconfirmed, (\d+) possible duplicates", log)
    assert match, log[-2000:]
    return [int(number) for number in match.groups()]


def record(name, figures):
    os.makedirs(REPORTS, exist_ok=True)
    with open(os.path.join(REPORTS, name + ".json"), "w") as handle:
        json.dump(figures, handle, indent=2)


def test_results_against_a_receiver_failing_30_percent(stand_in, payload, run_action):
    chooser = random.Random(20261128)
    faults = {}

    def plan(number):
        roll = chooser.random()
        what = ("ok" if roll >= 0.30 else 503 if roll < 0.14 else "reset" if roll < 0.18 else "lost" if roll < 0.22
                else "stall" if roll < 0.25 else "trickle" if roll < 0.28 else 302)
        faults[str(what)] = faults.get(str(what), 0) + 1
        return what

    stand_in.plan = plan
    # timeout=1: a stalled or trickling request is given up after a second (it never completes on its own).
    run = run_action(payload(rows(), batch_size=BATCH, max_attempts="5", timeout="1", backoff_ms="1"))
    keys = event_keys(stand_in.accepted)
    unique = set(keys)
    results, events, delivered, not_delivered, unconfirmed, possible_duplicates = summary_numbers(run.log)
    duplicates = len(keys) - len(unique)
    assert (results, events) == (ROWS, 2 * ROWS)
    assert len(set(key[2] for key in keys)) == len(unique)  # one risk_event_id per distinct event
    # Every event is received, or reported: not delivered (certainly not indexed) or unconfirmed (maybe indexed).
    lost_silently = events - len(unique) - not_delivered - unconfirmed
    assert lost_silently <= 0
    assert len(unique) >= delivered - possible_duplicates  # what the action confirmed did arrive
    # A duplicate only ever comes from a lost reply, and the log counts it.
    assert duplicates <= possible_duplicates + unconfirmed
    assert run.code == (0 if not_delivered + unconfirmed == 0 else 6)
    assert "Traceback" not in run.log and run.peak_rss_kb < 150 * 1024
    record("alert_faults", {"results": results, "events": events, "requests": stand_in.requests,
                            "faults": faults, "received_unique": len(unique), "received_twice": duplicates,
                            "reported_not_delivered": not_delivered, "reported_unconfirmed": unconfirmed,
                            "reported_possible_duplicates": possible_duplicates, "lost_silently": max(0, lost_silently),
                            "exit_code": run.code, "peak_rss_kb": run.peak_rss_kb})


def test_a_run_killed_midway_and_run_again(stand_in, payload, built_app, tmp_path):
    batches = (2 * ROWS) // int(BATCH)
    delivered_batches = batches // 5
    # The first delivered_batches requests are indexed; the next one is held unanswered until the kill.
    stand_in.plan = lambda number: "ok" if number <= delivered_batches else "stall"
    job = payload(rows(), batch_size=BATCH)
    script = os.path.join(built_app, "bin", "ngrok_risk.py")
    env = dict(os.environ, SPLUNK_HOME=str(tmp_path / "home"), PYTHONDONTWRITEBYTECODE="1")

    first = subprocess.Popen([sys.executable, script, "--execute"], stdin=subprocess.PIPE, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first.stdin.write(json.dumps(job).encode())
    first.stdin.close()
    hang_guard = time.monotonic() + 600
    while stand_in.requests <= delivered_batches and first.poll() is None and time.monotonic() < hang_guard:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    delivered_before_kill = len(event_keys(stand_in.accepted))
    assert delivered_before_kill == delivered_batches * int(BATCH)

    stand_in.plan = lambda number: "ok"
    second = subprocess.run([sys.executable, script, "--execute"], input=json.dumps(job).encode(), env=env,
                            capture_output=True, timeout=900)
    keys = event_keys(stand_in.accepted)
    unique = set(keys)
    assert second.returncode == 0
    assert len(unique) == 2 * ROWS  # after the rerun, every event is there
    assert len(keys) - len(unique) == delivered_before_kill  # exactly what the killed run had delivered, again
    assert len(set(key[2] for key in keys)) == 2 * ROWS  # and again under the same risk_event_id
    record("alert_kill_rerun", {"events": 2 * ROWS, "delivered_before_kill": delivered_before_kill,
                                "after_rerun_unique": len(unique), "after_rerun_duplicates": len(keys) - len(unique),
                                "distinct_risk_event_ids": len(set(key[2] for key in keys)),
                                "lost": 2 * ROWS - len(unique)})


# Characters of every kind real host names, user names and command lines hold, and the ones parsers trip on.
_ALPHABETS = [
    (0x20, 0x7e), (0xa0, 0xff), (0x100, 0x17f), (0x370, 0x3ff), (0x400, 0x4ff), (0x590, 0x5ff), (0x600, 0x6ff),
    (0x900, 0x97f), (0xe00, 0xe7f), (0x3040, 0x30ff), (0x4e00, 0x9fff), (0xac00, 0xd7a3), (0x1f300, 0x1f6ff),
    (0xe000, 0xf8ff), (0x300, 0x36f), (0x200b, 0x200f), (0x202a, 0x202e), (0xfe00, 0xfe0f), (0x1, 0x1f),
]
_HOSTILE_PIECES = ['"', "\\", "=", ",", '", risk_score="0', "\\\"", "\n", "\r\n", "==##~~##~~  1E8N3D4E6V5E7N2T9 ~~##~~##==",
                   "\u2028", "\x85", "--authtoken ", "$user$"]


def generated_text(chooser, longest):
    pieces = []
    for _ in range(chooser.randint(0, longest)):
        if chooser.random() < 0.15:
            pieces.append(chooser.choice(_HOSTILE_PIECES))
        else:
            low, high = chooser.choice(_ALPHABETS)
            pieces.append(chr(chooser.randint(low, high)))
    return "".join(pieces)


def test_generated_text_in_every_alert_field(stand_in, payload, run_action):
    chooser = random.Random(9)
    count = max(200, ROWS // 10)
    fields_to_fill = ("parent_process_name", "process_name", "process", "risk_message", "ngrok_subcommand",
                      "ngrok_target", "allowlisted", "risk_score_breakdown")
    generated = []
    for i in range(count):
        row = {field: generated_text(chooser, 40) for field in fields_to_fill}
        # Risk objects: generated text that stays an identity, made unique so that each event can be found.
        row["dest"] = "%d-%s" % (i, generated_text(chooser, 20))
        row["user"] = ["u%d-%s" % (i, generated_text(chooser, 10)), "v%d-%s" % (i, generated_text(chooser, 10))]
        row["risk_score"] = str(chooser.randint(0, 100))
        generated.append(row)
    search_name = "search " + generated_text(chooser, 30)
    job = dict(payload(generated, batch_size="50"), search_name=search_name,
               server_host="sh-" + generated_text(chooser, 10), sid="sid-" + generated_text(chooser, 10))
    run = run_action(job)
    assert run.code == 0, run.log[-3000:]
    assert "Traceback" not in run.log
    raw_events = [raw for _, _, _, body in stand_in.accepted for raw in split_stash_new(body)]
    assert len(raw_events) == 3 * count  # one dest and two users per result, none merged or split
    mismatched_readings = 0
    seen = []
    for raw in raw_events:
        readings = [fields(reader(raw)) for reader in READERS.values()]
        mismatched_readings += not (readings[0] == readings[1] == readings[2])
        seen.append((readings[0]["orig_rid"], readings[0]["risk_object"]))
    expected = []
    for rid, row in enumerate(generated):
        for value in [row["dest"]] + row["user"]:
            expected.append((str(rid), cap(clean(value), MAX_VALUE_CHARS)))
    assert mismatched_readings == 0
    assert seen == expected
    code_points = set(ord(char) for row in generated for value in row.values()
                      for char in (value if isinstance(value, str) else "".join(value)))
    record("alert_generated_text", {"results": count, "events": len(raw_events), "distinct_code_points":
                                    len(code_points), "beyond_latin_1": sum(1 for c in code_points if c > 0xff),
                                    "mismatched_readings": mismatched_readings,
                                    "lost": len(expected) - len(set(seen) & set(expected)), "exit_code": run.code})


def test_a_healthy_receiver_at_scale_gets_every_batch_in_order_with_bounded_memory(stand_in, payload, run_action):
    run = run_action(payload(rows(), batch_size=BATCH))
    assert run.code == 0, run.log[-2000:]
    assert len(stand_in.accepted) == 2 * ROWS // int(BATCH)
    keys = event_keys(stand_in.accepted)
    assert [key[0] for key in keys[::2]] == [str(i) for i in range(ROWS)]
    assert run.peak_rss_kb is not None and run.peak_rss_kb < 120 * 1024, run.peak_rss_kb
    assert "%d results, %d risk events, %d delivered, 0 not delivered" % (ROWS, 2 * ROWS, 2 * ROWS) in run.log
    record("alert_scale", {"results": ROWS, "events": len(keys), "batches": len(stand_in.accepted),
                           "peak_rss_kb": run.peak_rss_kb})
