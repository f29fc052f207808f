#!/usr/bin/env python3
"""Runs the built ngrokscore command exactly as splunkd does, without Splunk, and shows what it returns.

splunkd starts the command's script with no arguments and speaks search command protocol v2 on its stdin and
stdout: a getinfo request carrying the search's options in ``searchinfo.args``, then execute requests with CSV
chunks of up to 50,000 rows, the last one marked ``finished``. This script does the same with rows from a CSV or
JSON file, prints the scored rows (table, CSV or JSON) and every message the command sent.

    python scripts/ngrokscore_local.py samples/ngrok_detections.csv on_allowlist=mark impact=60

The ``CommandSession`` class and ``run`` function are the protocol driver the tests and the benchmark use.
"""

import argparse
import csv
import io
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_APP = os.path.join(ROOT, "build", "SA-ngrok-detection")
COMMAND = "ngrokscore"
MAX_RESULT_ROWS = 50000
csv.field_size_limit(sys.maxsize)


class ProtocolError(Exception):
    """The command broke the protocol, crashed, or did not answer in time."""


# -- CSV in Splunk's chunk encoding --------------------------------------------------------------------------------

def encode_mv(values):
    return "$" + "$;$".join(str(value).replace("$", "$$") for value in values) + "$"


def decode_mv(encoded):
    """Splunk's multivalue encoding back to a list: ``$a$;$b$``, ``$$`` inside a value being one ``$``. Text
    outside ``$...$`` is skipped and an unterminated last value dropped."""
    values, index = [], 0
    while True:
        start = encoded.find("$", index)
        if start < 0:
            return values
        parts, index = [], start + 1
        while True:
            end = encoded.find("$", index)
            if end < 0:
                return values
            parts.append(encoded[index:end])
            if encoded[end + 1:end + 2] == "$":
                parts.append("$")
                index = end + 2
                continue
            values.append("".join(parts))
            index = end + 1
            break


def rows_to_csv(rows, header=None):
    """Encodes rows (dicts of str or list of str) as splunkd does: lists become ``f`` + ``__mv_f``."""
    if header is None:
        header = []
        for row in rows:
            for name in row:
                if name not in header:
                    header.append(name)
    listed = set()  # the fields some row gives as a list (one pass over the rows)
    for row in rows:
        listed.update(name for name, value in row.items() if isinstance(value, (list, tuple)))
    multivalue = set(name for name in header if name in listed)
    columns = []
    for name in header:
        columns.append(name)
        if name in multivalue:
            columns.append("__mv_" + name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        values = []
        for name in header:
            value = row.get(name, "")
            if isinstance(value, (list, tuple)):
                values.append("\n".join(str(item) for item in value))
                values.append(encode_mv(value) if len(value) > 1 else "")
            else:
                values.append("" if value is None else str(value))
                if name in multivalue:
                    values.append("")
        writer.writerow(values)
    return buffer.getvalue().encode("utf-8")


def csv_to_rows(body):
    """Decodes a reply body into (header, rows); rows are dicts, multivalue fields as lists."""
    if not body:
        return [], []
    reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    header = next(reader, [])
    # Where each field's value and multivalue column are, worked out once: a name given twice takes its last column.
    names = list(dict.fromkeys(name for name in header if not name.startswith("__mv_")))
    last = {name: position for position, name in enumerate(header)}
    plan = [(name, last[name], last.get("__mv_" + name)) for name in names]
    rows = []
    for values in reader:
        if len(values) == len(header):
            row = {}
            for name, position, mv_position in plan:
                encoded = values[mv_position] if mv_position is not None else ""
                row[name] = decode_mv(encoded) if encoded else values[position]
            rows.append(row)
            continue
        raw = dict(zip(header, values))
        row = {}
        for name in header:
            if name.startswith("__mv_"):
                continue
            encoded = raw.get("__mv_" + name, "")
            row[name] = decode_mv(encoded) if encoded else raw.get(name, "")
        rows.append(row)
    return header, rows


# -- the protocol --------------------------------------------------------------------------------------------------

class CommandSession(object):
    """One run of the command's script, driven like splunkd drives it."""

    def __init__(self, app_dir=DEFAULT_APP, python=None, timeout=120.0, script=None, dispatch_dir=None):
        self.app_dir = os.path.abspath(app_dir)
        self.script = script or os.path.join(self.app_dir, "bin", COMMAND + ".py")
        self.python = python or sys.executable
        self.timeout = timeout
        self._own_dispatch = dispatch_dir is None
        self.dispatch_dir = dispatch_dir or tempfile.mkdtemp(prefix="ngrokscore-dispatch-")
        self.stderr_path = os.path.join(self.dispatch_dir, "search.log")
        self._stderr = open(self.stderr_path, "wb")
        self._pending = bytearray()  # a bytes object would be copied whole on every read of a large reply
        self.process = subprocess.Popen(
            [self.python, self.script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            cwd=self.dispatch_dir, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        )
        self.started = time.monotonic()

    # low level

    def send(self, metadata, body=b""):
        payload = json.dumps(metadata).encode("utf-8")
        self.send_raw(b"chunked 1.0,%d,%d\n" % (len(payload), len(body)) + payload + body)

    def send_raw(self, data):
        try:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except BrokenPipeError:
            raise ProtocolError("the command exited before reading its input; stderr:\n" + self.stderr_text())

    def _fill(self, size, deadline):
        """Reads from the command until at least ``size`` bytes are pending."""
        fd = self.process.stdout.fileno()
        while len(self._pending) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProtocolError("no complete reply within %.0f s" % self.timeout)
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            data = os.read(fd, 1 << 20)
            if not data:
                raise ProtocolError("the command closed its output mid-reply (exit code %s); stderr:\n%s"
                                    % (self.process.poll(), self.stderr_text()))
            self._pending += data

    def _read(self, size, deadline):
        self._fill(size, deadline)
        data = bytes(self._pending[:size])
        del self._pending[:size]
        return data

    def _read_line(self, deadline):
        while b"\n" not in self._pending[:4096]:
            if len(self._pending) > 4096:
                raise ProtocolError("reply header is not a line: %r" % self._pending[:100])
            self._fill(len(self._pending) + 1, deadline)
        end = self._pending.index(b"\n") + 1
        return self._read(end, deadline)

    def receive(self):
        """Reads one reply: (metadata dict, body bytes)."""
        deadline = time.monotonic() + self.timeout
        header = self._read_line(deadline)
        parts = header.decode("ascii", "replace").strip().split(",")
        if len(parts) != 3 or parts[0] != "chunked 1.0":
            raise ProtocolError("bad reply header %r" % header)
        metadata = json.loads(self._read(int(parts[1]), deadline).decode("utf-8"))
        body = self._read(int(parts[2]), deadline)
        return metadata, body

    # the conversation

    def getinfo(self, args, **searchinfo):
        """Sends getinfo with the search's options as splunkd does (in searchinfo.args, never on argv)."""
        search = "| ngrokscore " + " ".join(args)
        info = {
            "args": list(args),
            "raw_args": list(args),
            "dispatch_dir": self.dispatch_dir,
            "sid": "local_%d" % int(time.time() * 1000),
            "app": "SA-ngrok-detection",
            "owner": "admin",
            "username": "admin",
            "session_key": "local-session-key-not-for-splunkd",
            "splunkd_uri": "https://127.0.0.1:8089",
            "splunk_version": "9.4.0",
            "search": quote(search),
            "command": COMMAND,
            "maxresultrows": MAX_RESULT_ROWS,
            "earliest_time": "0",
            "latest_time": "0",
        }
        info.update(searchinfo)
        self.send({"action": "getinfo", "preview": False, "searchinfo": info})
        return self.receive()

    def execute(self, body, finished):
        self.send({"action": "execute", "finished": bool(finished)}, body)
        return self.receive()

    def close(self, wait=30.0):
        """Closes stdin as splunkd does at the end, waits for exit and returns the exit code."""
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        try:
            code = self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise ProtocolError("the command did not exit within %.0f s after its input closed" % wait)
        finally:
            self._stderr.close()
        return code

    def stderr_text(self):
        if not self._stderr.closed:
            self._stderr.flush()
        with open(self.stderr_path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def cleanup(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if not self._stderr.closed:
            self._stderr.close()
        if self._own_dispatch:
            shutil.rmtree(self.dispatch_dir, ignore_errors=True)


class RunResult(object):
    def __init__(self):
        self.getinfo = None  # getinfo reply metadata
        self.replies = []  # (metadata, header, rows) per execute reply
        self.exit_code = None
        self.stderr = ""
        self.ended_early = None  # why the command stopped answering before the last chunk, if it did

    @property
    def rows(self):
        return [row for _, _, rows in self.replies for row in rows]

    @property
    def messages(self):
        """Every (level, text) the command sent, getinfo's first."""
        found = []
        for metadata in [self.getinfo] + [reply[0] for reply in self.replies]:
            found.extend(tuple(message) for message in ((metadata or {}).get("inspector") or {}).get("messages", []))
        return found


def chunks_of(rows, size):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def run(rows=None, args=(), chunk_size=MAX_RESULT_ROWS, app_dir=DEFAULT_APP, python=None, bodies=None,
        empty_final_chunk=True, timeout=120.0):
    """Runs one search through the command: getinfo, execute chunks, then a final empty chunk; returns RunResult.

    ``rows`` are dicts (lists for multivalue fields); ``bodies`` instead gives the raw CSV body of each chunk.
    """
    if bodies is None:
        bodies = [rows_to_csv(chunk) for chunk in chunks_of(list(rows or []), chunk_size)]
    result = RunResult()
    session = CommandSession(app_dir, python=python, timeout=timeout)
    try:
        metadata, _ = session.getinfo(list(args))
        result.getinfo = metadata
        if not metadata.get("finished"):
            plan = [(body, False) for body in bodies]
            if empty_final_chunk or not plan:
                plan.append((b"", True))
            else:
                plan[-1] = (plan[-1][0], True)
            for body, finished in plan:
                try:
                    reply, reply_body = session.execute(body, finished)
                except ProtocolError as error:
                    try:
                        session.process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        raise error
                    # The command exited, as splunklib commands do after reporting a bad option at getinfo.
                    result.ended_early = str(error)
                    break
                header, out_rows = csv_to_rows(reply_body)
                result.replies.append((reply, header, out_rows))
                if reply.get("finished"):
                    break
        result.exit_code = session.close()
        result.stderr = session.stderr_text()
    finally:
        session.cleanup()
    return result


# -- command line --------------------------------------------------------------------------------------------------

# The table: one summary line per result, then the fields analysts check, each in full on a line of its own.
SUMMARY_COLUMNS = (  # (title, field names to try in order: the CIM name first, then raw-event names)
    ("dest", ("dest", "Processes.dest", "Computer", "host")),
    ("user", ("user", "Processes.user", "User")),
    ("parent", ("parent_process_name", "Processes.parent_process_name", "ParentImage")),
    ("verb", ("ngrok_subcommand",)),
    ("target", ("ngrok_target",)),
    ("score", ("risk_score",)),
    ("allowlisted", ("allowlisted",)),
)
DETAIL_LINES = (  # (label, field names to try); a line whose fields are all empty is left out
    ("process", ("process", "Processes.process", "CommandLine")),
    ("score", ("risk_score_breakdown",)),
    ("reasons", ("risk_reasons",)),
    ("mitre", ("mitre_technique_id",)),
    ("allowlist", ("allowlist_reason",)),
    ("message", ("risk_message",)),
)


def read_input(path):
    with open(path, encoding="utf-8", newline="") as handle:
        if path.endswith(".json"):
            data = json.load(handle)
            return data if isinstance(data, list) else [data]
        rows = []
        for row in csv.DictReader(handle):
            rows.append({name: value for name, value in row.items() if name is not None})
        return rows


def _values(row, names):
    """The values of the first of ``names`` the row has a value for, as a list."""
    for name in names:
        value = row.get(name)
        values = [item for item in value if item] if isinstance(value, list) else [value] if value else []
        if values:
            return values
    return []


def _mitre(row):
    """"T1572 Protocol Tunneling, T1090 Proxy, ... (Command And Control, TA0011)" from the MITRE output fields."""
    ids, names = _values(row, ("mitre_technique_id",)), _values(row, ("mitre_technique",))
    techniques = ", ".join(" ".join(pair) for pair in zip(ids, names + [""] * (len(ids) - len(names))))
    tactic = ", ".join(_values(row, ("mitre_tactic",)) + _values(row, ("mitre_tactic_id",)))
    return [techniques + (" (%s)" % tactic if tactic else "")] if techniques else []


def print_table(rows, out):
    """Every result as a summary line under a header, then its detail lines; nothing is cut short."""
    cells = [[" ".join("; ".join(_values(row, names)).split()) for _, names in SUMMARY_COLUMNS] for row in rows]
    widths = [max([len(title)] + [len(line[index]) for line in cells])
              for index, (title, _) in enumerate(SUMMARY_COLUMNS)]
    header = "  ".join(title.ljust(width) for (title, _), width in zip(SUMMARY_COLUMNS, widths)).rstrip()
    out.write(header + "\n" + "-" * len(header) + "\n")
    label_width = max(len(label) for label, _ in DETAIL_LINES) + 1
    for number, (row, line) in enumerate(zip(rows, cells)):
        if number:
            out.write("\n")
        out.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() + "\n")
        for label, names in DETAIL_LINES:
            values = _mitre(row) if label == "mitre" else _values(row, names)
            for index, value in enumerate(values):
                # A value's own line breaks would break the layout: show them as the two characters \n.
                value = value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")
                out.write("    %s %s\n" % (((label + ":") if not index else "").ljust(label_width), value))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Run the built ngrokscore command on a CSV or JSON file, as splunkd would.",
        epilog="Options for ngrokscore (impact=, confidence=, message=, modifiers=, allowlist=, on_allowlist=, "
               "redact=) follow the file name and are sent in searchinfo.args, never on the command's argv.")
    parser.add_argument("input", help="CSV (one row per result, header line) or JSON (a list of objects)")
    parser.add_argument("options", nargs="*", help="ngrokscore options, e.g. impact=80 on_allowlist=drop")
    parser.add_argument("--app", default=DEFAULT_APP, help="built app folder (default build/SA-ngrok-detection)")
    parser.add_argument("--python", default=None, help="interpreter to run the command with (default this one)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="table (default): a summary line per result (dest, user, parent, ngrok verb and target, "
                             "score, allowlisted), then in full its process (secrets masked), score breakdown, "
                             "reasons, MITRE ATT&CK fields, allowlist reason and risk message; csv: every field of "
                             "every result, multivalue fields joined by newlines; json: a list of objects, "
                             "multivalue fields as lists")
    parser.add_argument("--chunk-size", type=int, default=MAX_RESULT_ROWS,
                        help="rows per execute chunk (default and Splunk's maximum: %d)" % MAX_RESULT_ROWS)
    args = parser.parse_args(argv)
    if not os.path.exists(os.path.join(args.app, "bin", COMMAND + ".py")):
        parser.error("no built app at %s: run 'make package' first" % args.app)

    result = run(read_input(args.input), args.options, args.chunk_size, args.app, args.python)
    out = sys.stdout
    if args.format == "json":
        json.dump(result.rows, out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        header = result.replies[0][1] if result.replies and result.replies[0][1] else []
        names = [name for name in header if not name.startswith("__mv_")]
        writer = csv.writer(out)
        writer.writerow(names)
        for row in result.rows:
            writer.writerow(["\n".join(v) if isinstance(v, list) else v for v in (row.get(n, "") for n in names)])
    else:
        print_table(result.rows, out)
        out.write("\n%d result(s) in, %d out; exit code %s\n" % (len(read_input(args.input)), len(result.rows),
                                                                result.exit_code))
    for level, text in result.messages:
        sys.stderr.write("%s: %s\n" % (level, text))
    return 0 if result.exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
