"""Test helpers for the alert action: a stand-in for splunkd's /services/receivers/simple that can accept, fail, stall or drop requests on demand,
and helpers to run the built alert action exactly as splunkd does (bin/ngrok_risk.py --execute, JSON on stdin)."""

import gzip
import json
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ngrokscore_local import rows_to_csv

SESSION_KEY = "s3ss10nK3y-DO-NOT-LOG-0f9a8b7c6d5e4f3a2b1c"
BREAKER = "\n==##~~##~~  1E8N3D4E6V5E7N2T9 ~~##~~##==\n"
_PAIR = re.compile(r'([\w.]+)="((?:[^"\\]|\\.)*)"')


def parse_stash(body):
    """Events of one request body: lists of (key, value) pairs, in order."""
    events = []
    for text in body.rstrip("\n").split(BREAKER):
        stamp, _, pairs = text.partition(", ")
        events.append({"_time": stamp, "pairs": [(key, value.replace('\\"', '"').replace("\\\\", "\\"))
                                                 for key, value in _PAIR.findall(pairs)]})
    return events


def fields_of(event):
    """{key: value or [values]} for one parsed event."""
    fields = {}
    for key, value in event["pairs"]:
        if key in fields:
            fields[key] = (fields[key] if isinstance(fields[key], list) else [fields[key]]) + [value]
        else:
            fields[key] = value
    return fields


class StandIn(object):
    """Records accepted batches; ``plan(n)`` says what to do with request n (1-based): "ok", an HTTP status
    (int), "stall" (no answer before the client's timeout), "reset" (close without reading), "lost" (read and
    index the batch, then close without answering)."""

    def __init__(self):
        self.plan = lambda number: "ok"
        self.requests = 0
        self.accepted = []  # (query, headers, body) of every batch that was indexed
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                with stand_in.lock:
                    stand_in.requests += 1
                    number = stand_in.requests
                what = stand_in.plan(number)
                if what == "reset":
                    self.close_connection = True
                    self.connection.close()
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
                url = urlsplit(self.path)
                record = (url.path, {k: v[0] for k, v in parse_qs(url.query).items()}, dict(self.headers), body)
                if what == "garbage":  # not HTTP at all
                    with stand_in.lock:
                        stand_in.accepted.append(record)
                    self.wfile.write(b"HTTP/1.1 2OO OK\r\n\r\n")
                    self.close_connection = True
                    return
                if what == "stall":
                    time.sleep(3)
                    self.close_connection = True
                    return
                if what in ("ok", "lost"):
                    with stand_in.lock:
                        stand_in.accepted.append(record)
                if what == "lost":
                    self.close_connection = True
                    self.connection.close()
                    return
                status = 200 if what == "ok" else int(what)
                reply = b'{"status": "ok"}' if status == 200 else b'{"messages":[{"type":"ERROR","text":"no"}]}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.uri = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self):
        return [event for _, _, _, body in self.accepted for event in parse_stash(body)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.close()


def write_results(path, rows, header=None):
    with gzip.open(str(path), "wb") as handle:
        handle.write(rows_to_csv(rows, header))
    return str(path)


class ActionRun(object):
    def __init__(self, code, stderr, log, peak_rss_kb):
        self.code, self.stderr, self.log, self.peak_rss_kb = code, stderr, log, peak_rss_kb


# Runs the action's entry script as __main__ and reports its own peak RSS (VmHWM) at exit, so that the test can
# check memory without the driver's RSS in the figure.
_WRAPPER = r"""
import atexit, os, runpy, sys
rss_file = sys.argv[1]
def report():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                open(rss_file, "w").write(line.split()[1])
atexit.register(report)
sys.argv = [sys.argv[2], "--execute"]
sys.path.insert(0, os.path.dirname(sys.argv[0]))  # as python does for a script it runs
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.fixture
def run_action(built_app, tmp_path):
    splunk_home = tmp_path / "splunk_home"

    def run(payload, argv=("--execute",), raw_stdin=None, timeout=600):
        script = os.path.join(built_app, "bin", "ngrok_risk.py")
        rss_file = tmp_path / "peak_rss"
        if argv == ("--execute",):
            command = [sys.executable, "-c", _WRAPPER, str(rss_file), script]
        else:
            command = [sys.executable, script] + list(argv)
        stdin = raw_stdin if raw_stdin is not None else json.dumps(payload)
        env = dict(os.environ, SPLUNK_HOME=str(splunk_home), PYTHONDONTWRITEBYTECODE="1")
        completed = subprocess.run(command, input=stdin.encode("utf-8"), capture_output=True, env=env,
                                   timeout=timeout, cwd=str(tmp_path))
        log_path = splunk_home / "var" / "log" / "splunk" / "ngrok_risk_modalert.log"
        log = log_path.read_text(encoding="utf-8") if log_path.exists() else ""
        peak = int(rss_file.read_text()) if rss_file.exists() else None
        return ActionRun(completed.returncode, completed.stderr.decode("utf-8", "replace"), log, peak)

    return run


@pytest.fixture
def payload(tmp_path, stand_in):
    def make(rows, header=None, **configuration):
        results = write_results(tmp_path / "results.csv.gz", rows, header)
        config = {"index": "risk", "timeout": "1", "backoff_ms": "1", "max_attempts": "3"}
        config.update(configuration)
        return {
            "app": "SA-ngrok-detection", "owner": "admin", "results_file": results,
            "results_link": "https://splunk.example.com/app/search?sid=scheduler_x", "server_host": "sh-01",
            "server_uri": stand_in.uri, "session_key": SESSION_KEY, "sid": "scheduler__admin__search__RMD5_at_1",
            "search_name": "Linux Ngrok Reverse Proxy Usage", "configuration": config,
            "result": rows[0] if rows else {},
        }

    return make
