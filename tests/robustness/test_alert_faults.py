"""Fault injection for the ngrok_risk alert action: 100,000 results against a receiver that fails 30% of
requests (errors, stalls, dropped connections, lost replies), then a run killed midway and run again. Every event
is accounted for: delivered once, delivered twice after a lost reply (and counted as a possible duplicate), or
reported as not delivered. The figures go to reports/robustness/ for the campaign's results table."""

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

ROWS = 100000
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
            fields = fields_of(event)
            keys.append((fields["orig_rid"], fields["risk_object"]))
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


@pytest.mark.slow
def test_100000_results_against_a_receiver_failing_30_percent(stand_in, payload, run_action):
    chooser = random.Random(20261127)
    faults = {}

    def plan(number):
        roll = chooser.random()
        what = "ok" if roll >= 0.30 else 503 if roll < 0.20 else "reset" if roll < 0.25 else "lost" if roll < 0.28 \
            else "stall"
        faults[what] = faults.get(what, 0) + 1
        return what

    stand_in.plan = plan
    run = run_action(payload(rows(), batch_size="1000", max_attempts="5", timeout="1", backoff_ms="1"))
    keys = event_keys(stand_in.accepted)
    unique = set(keys)
    results, events, delivered, not_delivered, unconfirmed, possible_duplicates = summary_numbers(run.log)
    duplicates = len(keys) - len(unique)
    assert (results, events) == (ROWS, 2 * ROWS)
    # Every event is received, or reported: not delivered (certainly not indexed) or unconfirmed (maybe indexed).
    lost_silently = events - len(unique) - not_delivered - unconfirmed
    assert lost_silently <= 0
    assert len(unique) >= delivered - possible_duplicates  # what the action confirmed did arrive
    # A duplicate only ever comes from a lost reply, and the log counts it.
    assert duplicates <= possible_duplicates + unconfirmed and (duplicates == 0 or faults.get("lost", 0) > 0)
    assert run.code == (0 if not_delivered + unconfirmed == 0 else 6)
    assert "Traceback" not in run.log and run.peak_rss_kb < 150 * 1024
    record("alert_faults", {"results": results, "events": events, "requests": stand_in.requests,
                            "faults": faults, "received_unique": len(unique), "received_twice": duplicates,
                            "reported_not_delivered": not_delivered, "reported_unconfirmed": unconfirmed,
                            "reported_possible_duplicates": possible_duplicates, "lost_silently": max(0, lost_silently),
                            "exit_code": run.code})


@pytest.mark.slow
def test_a_run_killed_midway_and_run_again(stand_in, payload, built_app, tmp_path):
    stand_in.plan = lambda number: (time.sleep(0.05), "ok")[1]  # slow enough to kill the action mid-run
    job = payload(rows(), batch_size="1000")
    script = os.path.join(built_app, "bin", "ngrok_risk.py")
    env = dict(os.environ, SPLUNK_HOME=str(tmp_path / "home"), PYTHONDONTWRITEBYTECODE="1")

    first = subprocess.Popen([sys.executable, script, "--execute"], stdin=subprocess.PIPE, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first.stdin.write(json.dumps(job).encode())
    first.stdin.close()
    deadline = time.monotonic() + 120
    while len(stand_in.accepted) < 40 and time.monotonic() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    delivered_before_kill = len(event_keys(stand_in.accepted))
    assert 0 < delivered_before_kill < 2 * ROWS

    stand_in.plan = lambda number: "ok"
    second = subprocess.run([sys.executable, script, "--execute"], input=json.dumps(job).encode(), env=env,
                            capture_output=True, timeout=600)
    keys = event_keys(stand_in.accepted)
    unique = set(keys)
    assert second.returncode == 0
    assert len(unique) == 2 * ROWS  # after the rerun, every event is there
    assert len(keys) - len(unique) == delivered_before_kill  # exactly what the killed run had delivered, again
    record("alert_kill_rerun", {"events": 2 * ROWS, "delivered_before_kill": delivered_before_kill,
                                "after_rerun_unique": len(unique), "after_rerun_duplicates": len(keys) - len(unique),
                                "lost": 2 * ROWS - len(unique)})
