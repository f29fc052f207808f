"""Test helpers for the alert action: a stand-in for splunkd's /services/receivers/simple that can accept, fail, stall or drop requests on demand,
and helpers to run the built alert action exactly as splunkd does (bin/ngrok_risk.py --execute, JSON on stdin)."""

import gzip
import json
import os
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ngrokscore_local import rows_to_csv
from stash_readers import delims_pairs, fields, split_stash_new

SESSION_KEY = "s3ss10nK3y-DO-NOT-LOG-0f9a8b7c6d5e4f3a2b1c"


def parse_stash(body):
    """Events of one request body as Splunk indexes and extracts them (stash_new line breaker, then stash_extract's
    DELIMS): [{"_raw": text, "pairs": [(key, value), ...]}]."""
    return [{"_raw": event, "pairs": delims_pairs(event)} for event in split_stash_new(body)]


def fields_of(event):
    """{key: value or [values]} for one parsed event."""
    return fields(event["pairs"])


class StandIn(object):
    """Records accepted batches; ``plan(n)`` says what to do with request n (1-based): "ok", an HTTP status
    (int; 3xx answers carry a Location), "stall" (read the request, never answer), "trickle" (answer one byte at a
    time, forever), "reset" (close without reading), "lost" (read and index the batch, then close without
    answering), "garbage" (index, then answer something that is not HTTP), "hold" (wait until ``release`` is set,
    then index and answer). Nothing here depends on time: a stalled or trickling request lasts until the client
    gives up or the stand-in closes."""

    def __init__(self, tls_files=None):
        self.plan = lambda number: "ok"
        self.requests = 0
        self.accepted = []  # (path, query, headers, body) of every batch that was indexed
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.release = threading.Event()
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
                self.close_connection = True
                if what == "stall":
                    stand_in.closing.wait()
                    return
                if what == "trickle":
                    reply = b"HTTP/1.1 200 OK\r\nX-Trickle: "  # then one more byte of that header, forever
                    position = 0
                    while not stand_in.closing.wait(0.2):
                        try:
                            self.wfile.write(reply[position:position + 1] if position < len(reply) else b"a")
                            self.wfile.flush()
                        except OSError:
                            return
                        position += 1
                    return
                if what == "hold":
                    while not (stand_in.release.wait(0.1) or stand_in.closing.is_set()):
                        pass
                    what = "ok"
                if what in ("ok", "lost", "garbage"):
                    with stand_in.lock:
                        stand_in.accepted.append(record)
                if what == "garbage":  # not HTTP at all
                    self.wfile.write(b"HTTP/1.1 2OO OK\r\n\r\n")
                    return
                if what == "lost":
                    self.connection.close()
                    return
                status = 200 if what == "ok" else int(what)
                reply = b'{"status": "ok"}' if status == 200 else b'{"messages":[{"type":"ERROR","text":"no"}]}'
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "https://elsewhere.example.com/services/receivers/simple")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.uri = "http://127.0.0.1:%d" % self.server.server_address[1]
        if tls_files:  # (certificate, key): serve HTTPS, as splunkd's management port does
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls_files)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.uri = "https" + self.uri[4:]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def events(self):
        return [event for _, _, _, body in self.accepted for event in parse_stash(body)]

    def close(self):
        self.closing.set()
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
        # A generous timeout: a healthy stand-in answers in milliseconds, so no test depends on the machine's speed.
        # Tests of stalls set a short one; the stand-in then never answers at all.
        config = {"index": "risk", "timeout": "120", "backoff_ms": "1", "max_attempts": "3"}
        config.update(configuration)
        return {
            "app": "SA-ngrok-detection", "owner": "admin", "results_file": results,
            "results_link": "https://splunk.example.com/app/search?sid=scheduler_x", "server_host": "sh-01",
            "server_uri": stand_in.uri, "session_key": SESSION_KEY, "sid": "scheduler__admin__search__RMD5_at_1",
            "search_name": "Linux Ngrok Reverse Proxy Usage", "configuration": config,
            "result": rows[0] if rows else {},
        }

    return make
