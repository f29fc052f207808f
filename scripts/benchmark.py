#!/usr/bin/env python3
"""Measures what ngrokscore costs a search, next to a splunklib command that does nothing.

Both commands run as splunkd runs them (no argv, search command protocol v2 on stdin/stdout, driven by
scripts/ngrokscore_local.py's CommandSession) from one temporary copy of the built app, so they share the vendored
splunklib and its compiled bytecode:

* ngrokscore with every feature on: default options (risk modifiers, redaction, on_allowlist=mark) plus
  ``allowlist=bench_allowlist.csv``, a generated 10,000-entry allowlist;
* the pass-through, scripts/bench_passthrough.py: a splunklib StreamingCommand whose stream() yields each record
  unchanged, i.e. the cost of the protocol and of splunklib's record reader and writer alone.

The input is deterministic (seeded), detection-shaped rows: the tstats fields of the Linux Ngrok Reverse Proxy Usage
detection, 2,000 hosts, ~50 users, 13 parent processes and 3,000 distinct ngrok command lines, drawn independently,
so almost every row is a distinct (dest, user, parent, process) input: the worst case for ngrokscore, which scores
each distinct input once.

What is measured, for each command:

* throughput: rows per CPU-second (user + sys) of the command's own process, read with os.wait4 when it exits,
  for a search of N rows sent in 50,000-row chunks plus the final empty chunk. It includes the process's
  start-up, reported separately below. Chunk bodies are encoded once, before anything is timed;
* start-up: wall time from starting the process to the reply to the final execute of a 1-row search (getinfo, one
  1-row chunk, the empty finished chunk), the median of K runs, the two commands alternating;
* memory: the process's peak RSS for N rows and for a larger search, to show whether it grows with the number
  of rows or only with the chunk size. Read as VmHWM from /proc before the command's input closes, because the
  child's ru_maxrss starts at the driver's own RSS (see MeasuredSession.peak_rss_kb); ru_maxrss is reported too.

Targets (ngrokscore against the pass-through): throughput ratio >= 0.8, start-up ratio <= 1.25, peak RSS ratio
<= 1.5, and ngrokscore's peak RSS flat from N to the larger search (ratio <= 1.2). The benchmark reports whether
they are met; it exits non-zero only when a run broke (protocol error, crash, wrong row count).

    .venv/bin/python scripts/benchmark.py              # 200,000 rows; 1,000,000 for memory growth
    .venv/bin/python scripts/benchmark.py --quick      # 50,000 / 200,000 rows, fewer runs, for test suites
    .venv/bin/python scripts/benchmark.py --json bench.json --profile /tmp/ngrokscore.prof
    .venv/bin/python scripts/benchmark.py --worst-case  # hostile 1 MB command lines (benchmark_worst_case.py)
"""

import argparse
import collections
import compileall
import csv
import datetime
import glob
import hashlib
import io
import json
import os
import platform
import pstats
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, SCRIPTS)

from ngrokscore_local import DEFAULT_APP, MAX_RESULT_ROWS, CommandSession, ProtocolError, rows_to_csv  # noqa: E402

PASSTHROUGH_SCRIPT = os.path.join(SCRIPTS, "bench_passthrough.py")
ALLOWLIST_FILE = "bench_allowlist.csv"
NGROKSCORE_ARGS = ("allowlist=" + ALLOWLIST_FILE,)
FIELDS = ("dest", "user", "parent_process_name", "process_name", "original_file_name", "process", "process_id",
          "parent_process_id", "count", "firstTime", "lastTime")
MB = 1024.0  # VmHWM and ru_maxrss are in KB on Linux

TARGETS = {"throughput": 0.8, "startup": 1.25, "rss": 1.5, "growth": 1.2}


class BenchmarkError(Exception):
    """A run did not do what it must (wrong row count, error message): its numbers would mean nothing."""


# -- input data ----------------------------------------------------------------------------------------------------

# Host families: (name pattern, hosts, users that run things there, parent processes with weights).
_PERSONAL = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
             "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "xavier", "yvonne", "zoe", "amir",
             "bea", "chen", "dmitri", "eva", "farah", "goran", "hana", "ines", "jonas", "kenji"]
_SHELLS = {"bash": 6, "zsh": 2, "sh": 1, "sshd": 1}
_FAMILIES = (
    ("web-prod-%03d", 250, ["www-data", "root", "deploy"],
     {"apache2": 4, "nginx": 3, "php-fpm": 3, "bash": 2, "sh": 1}),
    ("web-stg-%03d", 100, ["www-data", "deploy", "ubuntu"], {"nginx": 3, "php-fpm": 2, "bash": 2, "node": 1}),
    ("app-%03d", 300, ["app", "deploy", "root"], {"java": 4, "python3": 3, "node": 3, "bash": 2, "systemd": 1}),
    ("db-%02d", 100, ["postgres", "mysql", "root"], {"bash": 3, "cron": 2, "sh": 1, "sshd": 1}),
    ("k8s-node-%03d", 400, ["root", "node", "redis"], {"sh": 3, "bash": 2, "python3": 2, "node": 1, "systemd": 1}),
    ("ci-runner-%02d", 80, ["gitlab-runner", "build", "jenkins"],
     {"bash": 4, "sh": 3, "java": 2, "python3": 1, "node": 1}),
    ("build-agent-%02d", 40, ["jenkins", "build"], {"java": 4, "bash": 2, "sh": 1}),
    ("dev-laptop-%03d", 300, None, dict(_SHELLS, python3=1, node=1)),
    ("vdi-%03d", 370, None, dict(_SHELLS, perl=1)),
    ("jump-%02d", 20, ["root", "ec2-user", "admin"], {"sshd": 4, "bash": 3, "zsh": 1}),
    ("mail-%02d", 20, ["root", "svc-backup"], {"cron": 3, "systemd": 2, "bash": 1}),
    ("sched-%02d", 20, ["root", "svc-backup", "admin"], {"cron": 5, "systemd": 2, "sh": 1}),
)
_BINARIES = ["ngrok", "ngrok", "/usr/local/bin/ngrok", "/usr/bin/ngrok", "./ngrok", "/tmp/ngrok", "/tmp/.x/ngrok",
             "/opt/ngrok/ngrok", "/var/tmp/ngrok", "/dev/shm/.cache/ngrok", "/home/{user}/ngrok",
             "/home/{user}/bin/ngrok", "/snap/bin/ngrok"]
_WRAPPERS = ["", "", "", "", "nohup ", "sudo ", "screen -dmS t{n} ", "setsid "]
_TAILS = ["", "", "", " --log=stdout", " --log stdout > /dev/null 2>&1 &", " --region {region}", " --log-level debug",
          " --log=stdout --region {region}", " &"]
_TCP_PORTS = [22, 22, 3389, 3389, 5900, 445, 8080, 3306, 5432, 6379, 25565, 2222, 23, 5985, 139, 5901]
_HTTP_PORTS = [80, 3000, 5000, 8000, 8080, 8888, 4200, 9000, 8081, 5173, 443]
_REGIONS = ["us", "eu", "ap", "au", "sa", "jp", "in"]
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# tstats "count" per row: mostly single executions. Repeated by weight so that one rng.choice picks it (fast).
_COUNTS = [1] * 70 + [2] * 15 + [3] * 8 + [5] * 5 + [12] * 2


def _token(rng):
    """An ngrok-authtoken-shaped secret."""
    return "2" + "".join(rng.choice(_ALNUM) for _ in range(26)) + "_" + "".join(rng.choice(_ALNUM) for _ in range(21))


def _tunnel_args(rng):
    """The part after the binary: one of the ways ngrok is used (or inspected)."""
    kind = rng.choices(["tcp", "http", "tls", "start", "service", "config", "secret", "info"],
                       weights=[30, 30, 5, 8, 5, 8, 8, 6])[0]
    if kind == "tcp":
        port = rng.choice(_TCP_PORTS)
        target = rng.choice([str(port), "localhost:%d" % port, "127.0.0.1:%d" % port,
                             "10.%d.%d.%d:%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255), port)])
        return "tcp " + target
    if kind == "http":
        port = rng.choice(_HTTP_PORTS)
        target = rng.choice([str(port), "localhost:%d" % port, "http://localhost:%d" % port,
                             "http://127.0.0.1:%d/%s" % (port, rng.choice(["", "api", "admin", "app/v2"])),
                             "https://localhost:%d" % port])
        name = "".join(rng.choice(_ALNUM[:26]) for _ in range(8))
        password = "".join(rng.choice(_ALNUM) for _ in range(10))
        extra = rng.choice(["", "", " --domain %s.ngrok.app" % name, " --url https://%s.ngrok.dev" % name,
                            " --basic-auth \"%s:%s\"" % (rng.choice(_PERSONAL), password),
                            " --host-header=rewrite", " --scheme https"])
        return "http " + target + extra
    if kind == "tls":
        return "tls %d" % rng.choice([443, 8443, rng.randrange(1024, 65535)]) + rng.choice(
            ["", " --crt /etc/ssl/server.crt --key /etc/ssl/server.key"])
    if kind == "start":
        config = rng.choice(["/tmp/x.yml", "/tmp/.n/%d.yml" % rng.randrange(10000), "/root/.config/ngrok/ngrok.yml",
                             "/etc/ngrok.yml", "/var/tmp/cfg%d.yml" % rng.randrange(1000), "/dev/shm/n.yml"])
        return rng.choice(["start --all --config ", "start --all --config=", "start web ssh --config "]) + config
    if kind == "service":
        return "service " + rng.choice(["install --config /etc/ngrok.yml", "install --config /tmp/ngrok.yml",
                                        "start", "restart", "stop", "uninstall"])
    if kind == "config":
        return rng.choice(["config add-authtoken " + _token(rng), "config check", "config upgrade",
                           "config add-api-key " + _token(rng), "authtoken " + _token(rng)])
    if kind == "secret":
        return rng.choice(["tcp %d --authtoken=%s", "tcp %d --authtoken %s", "http %d --authtoken=%s"]) % (
            rng.choice(_TCP_PORTS), _token(rng))
    return rng.choice(["version", "help", "--version", "-v", "http --help", "tcp -h", "update"])


class Pools(object):
    """The hosts, users, parents and command lines rows are drawn from; built once from the seed."""

    def __init__(self, seed, command_lines=3000):
        rng = random.Random("pools-%d" % seed)
        self.hosts = []  # (name, users with the main one first, parents repeated by weight)
        for pattern, count, users, parents in _FAMILIES:
            parent_table = [name for name, weight in parents.items() for _ in range(weight)]
            for number in range(1, count + 1):
                # Personal machines: one owner, root now and then.
                host_users = users or [rng.choice(_PERSONAL), "root"]
                self.hosts.append((pattern % number, host_users, parent_table))
        # Some hosts are noisier than others, as in real detection results.
        weights = [rng.lognormvariate(0, 0.75) for _ in self.hosts]
        total = 0.0
        self.host_cum_weights = []
        for weight in weights:
            total += weight
            self.host_cum_weights.append(total)
        self.users = sorted({user for _, users, _ in self.hosts for user in users})
        self.parents = sorted({parent for _, _, parents in self.hosts for parent in parents})

        lines = set()
        while len(lines) < command_lines:
            wrapper = rng.choice(_WRAPPERS).format(n=rng.randrange(100))
            binary = rng.choice(_BINARIES).format(user=rng.choice(_PERSONAL))
            tail = rng.choice(_TAILS).format(region=rng.choice(_REGIONS))
            lines.add(wrapper + binary + " " + _tunnel_args(rng) + tail)
        self.command_lines = sorted(lines)


def generate_chunk(pools, seed, index, size):
    """Rows of chunk ``index`` (of ``size`` rows each): the same rows whatever the total, so runs share prefixes."""
    rng = random.Random("rows-%d-%d" % (seed, index))
    hosts = rng.choices(pools.hosts, cum_weights=pools.host_cum_weights, k=size)
    base_time = 1793491200 + index * 3600  # 2026-11-01T00:00:00Z, then an hour per chunk
    first_pid = 100000 + index * size  # unique process_id per row across the whole search
    rows = []
    for offset, (dest, users, parent_table) in enumerate(hosts):
        user = users[0] if rng.random() < 0.6 else rng.choice(users)
        count = rng.choice(_COUNTS)
        first = base_time + rng.randrange(30 * 86400)
        last = first if count == 1 else first + rng.randrange(1, 7200)
        rows.append({
            "dest": dest,
            "user": user,
            "parent_process_name": rng.choice(parent_table),
            "process_name": "ngrok",
            "original_file_name": "ngrok",
            "process": rng.choice(pools.command_lines),
            "process_id": str(first_pid + offset),
            "parent_process_id": str(rng.randrange(300, 4000000)),
            "count": str(count),
            "firstTime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(first)),
            "lastTime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(last)),
        })
    return rows


class ChunkBodies(object):
    """CSV chunk bodies in splunkd's encoding, encoded once and shared by every run."""

    def __init__(self, pools, seed, chunk_size):
        self.pools, self.seed, self.chunk_size = pools, seed, chunk_size
        self._bodies = {}

    def body(self, index, size):
        key = (index, size)
        if key not in self._bodies:
            rows = generate_chunk(self.pools, self.seed, index, self.chunk_size)[:size]
            self._bodies[key] = rows_to_csv(rows, header=list(FIELDS))
        return self._bodies[key]

    def for_rows(self, total):
        bodies, index = [], 0
        while index * self.chunk_size < total:
            bodies.append(self.body(index, min(self.chunk_size, total - index * self.chunk_size)))
            index += 1
        return bodies


def distinct_inputs(bodies):
    """How many distinct (dest, user, parent, process) combinations the rows hold: ngrokscore scores each once."""
    seen = set()
    for body in bodies:
        reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
        header = next(reader)
        key = [header.index(name) for name in ("dest", "user", "parent_process_name", "process")]
        seen.update(tuple(values[i] for i in key) for values in reader)
    return len(seen)


# -- the allowlist -------------------------------------------------------------------------------------------------

def write_allowlist(path, pools, seed, entries=10000):
    """A large, realistic allowlist: mostly hosts that are not in the results, a few rules that do apply.

    Literal patterns are what the allowlist indexes; the few hundred wildcard ``dest`` patterns carry a literal user,
    as admins write them (``ci-runner-*`` for the CI service account), so they are indexed by user.
    """
    rng = random.Random("allowlist-%d" % seed)
    owner = "secops@example.com"
    rows = []
    hosts = list(pools.hosts)
    rng.shuffle(hosts)
    # Hosts allowed outright (demo machines, a sanctioned tunnel box), and per-user/per-parent rules on others.
    for dest, _, _ in hosts[:40]:
        rows.append((dest, "", "", "", "approved tunnel host (CHG-%d)" % rng.randrange(1000, 9999), owner, ""))
    for dest, users, parents in hosts[40:140]:
        rows.append((dest, users[0], rng.choice(parents), "",
                     "owner's own dev tunnels (CHG-%d)" % rng.randrange(1000, 9999), owner, "2099-12-31"))
    for dest, users, _ in hosts[140:165]:
        rows.append((dest, users[0], "", "*ngrok http 3000*", "frontend preview tunnels", owner, ""))
    # Wildcard host patterns, indexed by their literal user: two that match whole fleets' service accounts...
    rows.append(("ci-runner-*", "build", "", "", "CI preview environments (CHG-1042)", owner, ""))
    rows.append(("build-agent-*", "jenkins", "java", "", "Jenkins integration tests", owner, "2099-12-31"))
    # ...and a few hundred for fleets and accounts that do not occur in these results.
    teams = set()
    while len(teams) < 300:
        teams.add("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randrange(3, 8))))
    for team in sorted(teams):
        rows.append(("%s-%s-*" % (rng.choice(["lab", "sandbox", "ci", "qa", "demo"]), team), "svc-" + team, "", "",
                     "team %s sandbox" % team, owner, ""))
    # The bulk: decommissioned or other-site hosts, literal names, some with a user or parent.
    number = 0
    while len(rows) < entries:
        number += 1
        dest = "%s-%05d.%s.example.com" % (rng.choice(["srv", "ws", "old-web", "legacy-app", "kiosk"]), number,
                                           rng.choice(["fra", "nyc", "sgp", "lon"]))
        kind = rng.random()
        user = rng.choice(pools.users) if kind < 0.3 else ""
        parent = rng.choice(pools.parents) if kind < 0.15 else ""
        rows.append((dest, user, parent, "", "retired host kept for audit (ticket %d)" % number, owner,
                     "" if kind < 0.7 else "2099-%02d-28" % rng.randrange(1, 13)))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("dest", "user", "parent_process_name", "process", "reason", "owner", "expires"))
        writer.writerows(rows[:entries])
    return min(len(rows), entries)


# -- running a command ---------------------------------------------------------------------------------------------

class MeasuredSession(CommandSession):
    """A CommandSession that reaps its child with os.wait4, for the child's own CPU time and peak RSS."""

    rusage = None

    def close(self, wait=60.0):
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        pid = self.process.pid
        # os.kill, not Popen.kill: Popen would poll and could reap the child before wait4 does.
        watchdog = threading.Timer(wait, os.kill, (pid, signal.SIGKILL))
        watchdog.start()
        try:
            _, status, self.rusage = os.wait4(pid, 0)
        finally:
            watchdog.cancel()
            self._stderr.close()
        self.process.returncode = os.waitstatus_to_exitcode(status)
        if self.process.returncode == -signal.SIGKILL:
            raise ProtocolError("the command did not exit within %.0f s after its input closed" % wait)
        return self.process.returncode

    def peak_rss_kb(self):
        """The running command's own peak RSS (VmHWM), in KB; None where /proc is not Linux's.

        Not ru_maxrss: Linux starts a child's ru_maxrss at the RSS of the process it was spawned from (subprocess
        uses vfork, and exec keeps the old memory's high-water mark), so with the driver holding a million encoded
        rows every command would look as big as the driver.
        """
        try:
            with open("/proc/%d/status" % self.process.pid, encoding="ascii", errors="replace") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None


class RunStats(object):
    def __init__(self, rows_in):
        self.rows_in = rows_in
        self.rows_out = 0
        self.allowlisted = 0
        self.wall = None  # process start to the reply to the final execute, seconds
        self.cpu = None  # user + sys of the command's process, seconds
        self.peak_rss_kb = None  # VmHWM just before the command's input closes
        self.ru_maxrss_kb = None  # from wait4, for comparison (see MeasuredSession.peak_rss_kb)
        self.warnings = []


def _count_reply(body):
    """(rows, rows with allowlisted=true) in a reply body."""
    if not body:
        return 0, 0
    reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    header = next(reader, [])
    column = header.index("allowlisted") if "allowlisted" in header else None
    rows = allowlisted = 0
    for values in reader:
        rows += 1
        if column is not None and values[column] == "true":
            allowlisted += 1
    return rows, allowlisted


def _messages(metadata):
    return [tuple(message) for message in ((metadata or {}).get("inspector") or {}).get("messages", [])]


def run_search(name, app_dir, script, args, bodies, rows_in, timeout):
    """One search as splunkd runs it: getinfo, a chunk per body, then an empty finished chunk."""
    stats = RunStats(rows_in)
    started = time.perf_counter()
    session = MeasuredSession(app_dir, script=script, timeout=timeout)
    try:
        metadata, _ = session.getinfo(list(args))
        replies = [metadata]
        if metadata.get("finished"):
            raise BenchmarkError("%s stopped at getinfo: %s" % (name, _messages(metadata)))
        for index, body in enumerate(bodies + [b""]):
            last = index == len(bodies)
            reply, reply_body = session.execute(body, last)
            replies.append(reply)
            rows, allowlisted = _count_reply(reply_body)
            stats.rows_out += rows
            stats.allowlisted += allowlisted
            if reply.get("finished") and not last:
                raise BenchmarkError("%s finished after chunk %d of %d" % (name, index + 1, len(bodies)))
        stats.wall = time.perf_counter() - started
        # Every row has been processed and answered: the high-water mark is final.
        stats.peak_rss_kb = session.peak_rss_kb()
        exit_code = session.close()
        if exit_code != 0:
            raise BenchmarkError("%s exited with code %s; stderr:\n%s" % (name, exit_code, session.stderr_text()))
        stats.cpu = session.rusage.ru_utime + session.rusage.ru_stime
        stats.ru_maxrss_kb = session.rusage.ru_maxrss
        if stats.peak_rss_kb is None:
            stats.peak_rss_kb = stats.ru_maxrss_kb
    finally:
        session.cleanup()
    for metadata in replies:
        for level, text in _messages(metadata):
            if level in ("ERROR", "FATAL"):
                raise BenchmarkError("%s reported %s: %s" % (name, level, text))
            stats.warnings.append("%s: %s" % (level, text))
    # ngrokscore marks allowlisted rows (on_allowlist=mark) and never drops any; the pass-through returns all.
    if stats.rows_out != rows_in:
        raise BenchmarkError("%s returned %d rows for %d" % (name, stats.rows_out, rows_in))
    return stats


Command = collections.namedtuple("Command", "name script args")


# -- the benchmark -------------------------------------------------------------------------------------------------

def prepare_app(source, work_dir, pools, seed, bytecode, allowlist_entries=10000):
    """Copies the built app, adds the allowlist lookup and (optionally) compiles it as a warm install would be."""
    app_dir = os.path.join(work_dir, os.path.basename(os.path.normpath(source)))
    shutil.copytree(source, app_dir)
    for part in (("bin", "ngrokscore.py"), ("bin", "lib", "splunklib", "__init__.py")):
        if not os.path.exists(os.path.join(app_dir, *part)):
            raise BenchmarkError("%s has no %s: is the app being rebuilt? Run scripts/build.py and try again"
                                 % (source, "/".join(part)))
    entries = write_allowlist(os.path.join(app_dir, "lookups", ALLOWLIST_FILE), pools, seed, allowlist_entries)
    if bytecode:
        # The driver runs commands with PYTHONDONTWRITEBYTECODE=1; without this every start would compile splunklib.
        compileall.compile_dir(app_dir, quiet=1)
    return app_dir, entries


def measure(commands, app_dir, bodies, args):
    """Runs every measurement; returns {command name: {metric: value}} plus the shared facts."""
    results = {command.name: {} for command in commands}
    small = bodies.for_rows(args.rows)
    large = bodies.for_rows(args.large_rows)
    one_row = bodies.for_rows(1)

    def log(text):
        if not args.quiet:
            sys.stdout.flush()
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    # Warm the page cache and anything else a first start pays, then alternate so drift hits both alike.
    for command in commands:
        run_search(command.name, app_dir, command.script, command.args, one_row, 1, args.timeout)
    startup = {command.name: [] for command in commands}
    for attempt in range(args.startup_runs):
        for command in commands:
            startup[command.name].append(
                run_search(command.name, app_dir, command.script, command.args, one_row, 1, args.timeout))
    for command in commands:
        runs = startup[command.name]
        results[command.name].update(
            startup_ms=1000 * statistics.median(run.wall for run in runs),
            startup_ms_runs=[round(1000 * run.wall, 1) for run in runs],
            startup_cpu_s=statistics.median(run.cpu for run in runs),
            startup_rss_mb=statistics.median(run.peak_rss_kb for run in runs) / MB,
        )
        log("start-up %-12s median %.1f ms" % (command.name, results[command.name]["startup_ms"]))

    throughput = {command.name: [] for command in commands}
    for attempt in range(args.runs):
        for command in commands:
            run = run_search(command.name, app_dir, command.script, command.args, small, args.rows, args.timeout)
            throughput[command.name].append(run)
            log("%d rows  %-12s %.2f CPU-s  %.0f MB  (%d allowlisted)"
                % (args.rows, command.name, run.cpu, run.peak_rss_kb / MB, run.allowlisted))
    for command in commands:
        runs = throughput[command.name]
        cpu = statistics.median(run.cpu for run in runs)
        results[command.name].update(
            cpu_s=cpu,
            cpu_s_runs=[round(run.cpu, 3) for run in runs],
            wall_s=statistics.median(run.wall for run in runs),
            rows_per_cpu_s=args.rows / cpu,
            peak_rss_mb=statistics.median(run.peak_rss_kb for run in runs) / MB,
            ru_maxrss_mb=statistics.median(run.ru_maxrss_kb for run in runs) / MB,
            allowlisted=runs[0].allowlisted,
            warnings=sorted(set(warning for run in runs for warning in run.warnings)),
        )

    for command in commands:
        run = run_search(command.name, app_dir, command.script, command.args, large, args.large_rows, args.timeout)
        log("%d rows  %-12s %.2f CPU-s  %.0f MB" % (args.large_rows, command.name, run.cpu, run.peak_rss_kb / MB))
        results[command.name].update(
            large_cpu_s=run.cpu,
            large_rows_per_cpu_s=args.large_rows / run.cpu,
            large_peak_rss_mb=run.peak_rss_kb / MB,
            large_ru_maxrss_mb=run.ru_maxrss_kb / MB,
            large_allowlisted=run.allowlisted,
        )
        results[command.name]["rss_growth"] = (results[command.name]["large_peak_rss_mb"]
                                               / results[command.name]["peak_rss_mb"])
    return results


def profile_ngrokscore(app_dir, bodies, rows, out_path, timeout, top=15):
    """Runs ngrokscore once under cProfile (a wrapper script in the app copy); returns its top functions by
    cumulative time (the call chain) and by internal time (where the time is actually spent)."""
    wrapper = os.path.join(app_dir, "bin", "bench_profile_ngrokscore.py")
    with open(wrapper, "w", encoding="utf-8") as handle:
        handle.write(
            "import cProfile, os, runpy, sys\n"
            "entry = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ngrokscore.py')\n"
            "sys.argv = [entry]\n"
            "cProfile.run('runpy.run_path(entry, run_name=\"__main__\")', %r)\n" % os.path.abspath(out_path))
    run_search("ngrokscore (profiled)", app_dir, wrapper, NGROKSCORE_ARGS, bodies.for_rows(rows), rows, timeout)
    buffer = io.StringIO()
    stats = pstats.Stats(out_path, stream=buffer)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return buffer.getvalue()


# -- the report ----------------------------------------------------------------------------------------------------

def sdk_version(app_dir):
    for metadata in sorted(glob.glob(os.path.join(app_dir, "bin", "lib", "*.dist-info", "METADATA"))):
        fields = {}
        with open(metadata, encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    break
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        if fields.get("name", "").lower() == "splunk-sdk":
            return fields.get("version", "?")
    return "unknown"


def app_identity(app_dir):
    """(version from app.conf, short hash of bin/): which build was measured, as the build folder gets rebuilt."""
    version = "?"
    with open(os.path.join(app_dir, "default", "app.conf"), encoding="utf-8") as handle:
        for line in handle:
            name, _, value = line.partition("=")
            if name.strip() == "version":
                version = value.strip()
                break
    digest = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(app_dir, "bin", "**", "*.py"), recursive=True)):
        digest.update(os.path.relpath(path, app_dir).encode("utf-8") + b"\0")
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return version, digest.hexdigest()[:12]


def _rows(number):
    return "{:,}".format(number)


def _met(ok):
    return "yes" if ok else "**no**"


def report(results, facts, args, out):
    ngrok, passthrough = results["ngrokscore"], results["pass-through"]
    throughput_ratio = ngrok["rows_per_cpu_s"] / passthrough["rows_per_cpu_s"]
    startup_ratio = ngrok["startup_ms"] / passthrough["startup_ms"]
    rss_ratio = ngrok["peak_rss_mb"] / passthrough["peak_rss_mb"]
    large_rss_ratio = ngrok["large_peak_rss_mb"] / passthrough["large_peak_rss_mb"]
    growth = ngrok["rss_growth"]
    small, large = _rows(args.rows), _rows(args.large_rows)
    verdicts = {
        "throughput": throughput_ratio >= TARGETS["throughput"],
        "startup": startup_ratio <= TARGETS["startup"],
        "rss": rss_ratio <= TARGETS["rss"],
        "growth": growth <= TARGETS["growth"],
    }

    write = out.write
    write("# ngrokscore benchmark\n\n")
    write("- date: %s\n" % facts["date"])
    write("- command: `%s`\n" % facts["command_line"])
    write("- machine: %s CPUs, %s; Python %s (%s); splunk-sdk %s\n"
          % (facts["cpu_count"], facts["platform"], facts["python"], facts["python_executable"], facts["splunk_sdk"]))
    write("- app: %s version %s, bin/ fingerprint %s\n"
          % (facts["app"], facts["app_version"], facts["app_fingerprint"]))
    write("- input: %s rows (throughput, memory) and %s rows (memory growth) in %s-row chunks; %s hosts, %s users, "
          "%s parents, %s command lines; %s distinct (dest, user, parent, process) in the %s rows\n"
          % (small, large, _rows(args.chunk_size), _rows(facts["hosts"]), facts["users"], facts["parents"],
             _rows(facts["command_lines"]), _rows(facts["distinct_inputs"]), small))
    write("- ngrokscore: `| ngrokscore %s` (all defaults otherwise); allowlist of %s entries; %s of %s rows "
          "allowlisted (%.1f%%), %s of %s\n"
          % (" ".join(NGROKSCORE_ARGS), _rows(facts["allowlist_entries"]), _rows(ngrok["allowlisted"]), small,
             100.0 * ngrok["allowlisted"] / args.rows, _rows(ngrok["large_allowlisted"]), large))
    write("- runs: throughput median of %d, start-up median of %d (after one warm-up each), %s rows once; "
          "bytecode %s\n\n" % (args.runs, args.startup_runs, large,
                               "precompiled (warm install)" if not args.no_bytecode else "not precompiled (cold)"))

    write("| metric | ngrokscore | pass-through | ratio | target | met? |\n")
    write("|---|---:|---:|---:|---|---|\n")
    write("| throughput, rows per CPU-second (%s rows) | %s | %s | %.2f | ratio >= %.2f | %s |\n"
          % (small, _rows(round(ngrok["rows_per_cpu_s"])), _rows(round(passthrough["rows_per_cpu_s"])),
             throughput_ratio, TARGETS["throughput"], _met(verdicts["throughput"])))
    write("| start-up, 1-row search, ms (median) | %.1f | %.1f | %.2f | ratio <= %.2f | %s |\n"
          % (ngrok["startup_ms"], passthrough["startup_ms"], startup_ratio, TARGETS["startup"],
             _met(verdicts["startup"])))
    write("| peak RSS, MB (%s rows) | %.1f | %.1f | %.2f | ratio <= %.2f | %s |\n"
          % (small, ngrok["peak_rss_mb"], passthrough["peak_rss_mb"], rss_ratio, TARGETS["rss"],
             _met(verdicts["rss"])))
    write("| peak RSS, MB (%s rows) | %.1f | %.1f | %.2f | (information) | |\n"
          % (large, ngrok["large_peak_rss_mb"], passthrough["large_peak_rss_mb"], large_rss_ratio))
    write("| peak RSS growth, %s / %s rows | %.2f | %.2f | | ngrokscore <= %.2f (flat) | %s |\n"
          % (large, small, growth, passthrough["rss_growth"], TARGETS["growth"], _met(verdicts["growth"])))
    write("| CPU seconds, %s rows (median) | %.2f | %.2f | %.2f | (information) | |\n"
          % (small, ngrok["cpu_s"], passthrough["cpu_s"], ngrok["cpu_s"] / passthrough["cpu_s"]))
    write("| CPU seconds, %s rows | %.2f | %.2f | %.2f | (information) | |\n"
          % (large, ngrok["large_cpu_s"], passthrough["large_cpu_s"],
             ngrok["large_cpu_s"] / passthrough["large_cpu_s"]))
    write("| start-up CPU seconds, 1-row search (median) | %.3f | %.3f | %.2f | (information) | |\n"
          % (ngrok["startup_cpu_s"], passthrough["startup_cpu_s"],
             ngrok["startup_cpu_s"] / passthrough["startup_cpu_s"]))
    write("| ru_maxrss, MB (%s rows; includes the driver's RSS) | %.1f | %.1f | | (not used) | |\n"
          % (small, ngrok["ru_maxrss_mb"], passthrough["ru_maxrss_mb"]))
    write("\nStart-up runs, ms: ngrokscore %s; pass-through %s\n"
          % (ngrok["startup_ms_runs"], passthrough["startup_ms_runs"]))
    for name in ("ngrokscore", "pass-through"):
        for warning in results[name]["warnings"]:
            write("\n%s said %s\n" % (name, warning))
    return {
        "throughput_ratio": throughput_ratio,
        "startup_ratio": startup_ratio,
        "peak_rss_ratio": rss_ratio,
        "large_peak_rss_ratio": large_rss_ratio,
        "rss_growth": growth,
        "targets": TARGETS,
        "met": verdicts,
    }


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Benchmark ngrokscore against a splunklib pass-through command (see the module docstring).")
    parser.add_argument("--app", default=DEFAULT_APP, help="built app folder (default build/SA-ngrok-detection)")
    parser.add_argument("--rows", type=int, help="rows for throughput and peak RSS (default 200,000; quick 50,000)")
    parser.add_argument("--large-rows", type=int,
                        help="rows for the memory growth run (default 1,000,000; quick 200,000)")
    parser.add_argument("--runs", type=int, help="throughput runs per command, median kept (default 3; quick 1)")
    parser.add_argument("--startup-runs", type=int, help="1-row start-up runs per command (default 7; quick 3)")
    parser.add_argument("--chunk-size", type=int, default=MAX_RESULT_ROWS, help="rows per execute chunk")
    parser.add_argument("--allowlist-entries", type=int, default=10000,
                        help="entries in the generated allowlist (default %(default)s; 0 for an empty one)")
    parser.add_argument("--seed", type=int, default=20261101, help="seed of the generated rows and allowlist")
    parser.add_argument("--quick", action="store_true",
                        help="50,000 / 200,000 rows, 1 throughput and 3 start-up runs (for test suites)")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="do not precompile the app copy: measure a cold start that compiles splunklib")
    parser.add_argument("--json", metavar="PATH", help="also write every number as JSON to PATH")
    parser.add_argument("--profile", metavar="PATH",
                        help="afterwards run ngrokscore once more under cProfile, save the stats to PATH and print "
                             "the top 15 functions by cumulative and by internal time")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for any one reply")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--worst-case", action="store_true",
                        help="only the worst-case section: hostile 1 MB command lines (scripts/benchmark_worst_case.py)")
    args = parser.parse_args(argv)
    quick = args.quick
    for name, full, small in (("rows", 200000, 50000), ("large_rows", 1000000, 200000), ("runs", 3, 1),
                              ("startup_runs", 7, 3)):
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    if min(args.rows, args.large_rows, args.runs, args.startup_runs, args.chunk_size) < 1:
        parser.error("sizes and run counts must be positive")
    if not os.path.exists(os.path.join(args.app, "bin", "ngrokscore.py")):
        parser.error("no built app at %s: run '.venv/bin/python scripts/build.py' first" % args.app)
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worst_case:
        import benchmark_worst_case
        results = benchmark_worst_case.run(args.app, timeout=args.timeout)
        return 0 if all(item["met"] for item in results.values()) else 1
    facts = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "command_line": " ".join([sys.executable, sys.argv[0]] + (sys.argv[1:] if argv is None else list(argv))),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
    }
    work_dir = tempfile.mkdtemp(prefix="ngrokscore-bench-")
    try:
        started = time.monotonic()
        pools = Pools(args.seed)
        app_dir, facts["allowlist_entries"] = prepare_app(args.app, work_dir, pools, args.seed, not args.no_bytecode,
                                                          args.allowlist_entries)
        facts["app"] = os.path.abspath(args.app)
        facts["splunk_sdk"] = sdk_version(app_dir)
        facts["app_version"], facts["app_fingerprint"] = app_identity(app_dir)
        # The pass-through imports splunklib from the same copy (its pyc files included).
        os.environ["NGROK_BENCH_APP_DIR"] = app_dir
        bodies = ChunkBodies(pools, args.seed, args.chunk_size)
        bodies.for_rows(max(args.rows, args.large_rows))  # encode everything before anything is timed
        facts.update(hosts=len(pools.hosts), users=len(pools.users), parents=len(pools.parents),
                     command_lines=len(pools.command_lines),
                     distinct_inputs=distinct_inputs(bodies.for_rows(args.rows)),
                     input_mb=sum(len(body) for body in bodies.for_rows(args.rows)) / 1e6)
        if not args.quiet:
            sys.stderr.write("input ready in %.1f s (%.1f MB for %s rows)\n"
                             % (time.monotonic() - started, facts["input_mb"], _rows(args.rows)))

        commands = [Command("ngrokscore", os.path.join(app_dir, "bin", "ngrokscore.py"), NGROKSCORE_ARGS),
                    Command("pass-through", PASSTHROUGH_SCRIPT, ())]
        results = measure(commands, app_dir, bodies, args)
        summary = report(results, facts, args, sys.stdout)
        profile = None
        if args.profile:
            profile = profile_ngrokscore(app_dir, bodies, args.rows, args.profile, args.timeout)
            sys.stdout.write("\n## ngrokscore under cProfile, %s rows (top 15 by cumulative, then internal time)"
                             "\n\n```\n%s```\n"
                             % (_rows(args.rows), profile.strip("\n") + "\n"))
        if args.json:
            settings = {name: getattr(args, name) for name in ("rows", "large_rows", "runs", "startup_runs",
                                                                "chunk_size", "seed", "quick", "no_bytecode")}
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump({"facts": facts, "settings": settings, "results": results, "summary": summary,
                           "profile": profile}, handle, indent=2)
                handle.write("\n")
    except (ProtocolError, BenchmarkError) as error:
        sys.stderr.write("benchmark failed: %s\n" % error)
        return 1
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
