#!/usr/bin/env python3
"""Measures what ngrokscore costs a search, next to a splunklib command that does nothing.

The commands run as splunkd runs them (no argv, search command protocol v2 on stdin/stdout, driven by
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

Allowlists (seeded, ``--allowlist-entries`` each, default 10,000): ``mixed``, the headline, where every entry has
1 to 3 patterns in any of dest, user, parent_process_name and process, each exact or with a trailing, leading,
infix or several wildcards; one file per single shape (exact dest, exact user, trailing dest, leading dest, infix
process, several-wildcard process, trailing process); and ``realistic`` (host groups, per-user rules, retired
hosts). A few entries of each are made from values that occur in the rows, so some rows are allowlisted.

What is measured, for each command (ngrokscore with the mixed allowlist, the pass-through, ngrokscore with
``allowlist=none`` and with each shape):

* throughput: rows per CPU-second (user + sys) of the command's own process, read with os.wait4 when it exits,
  for a search of N rows sent in 50,000-row chunks plus the final empty chunk (start-up included). Chunk bodies are
  encoded once, before anything is timed. CPU time, not wall time: the machine is shared, and the load average at
  the start and end is reported;
  - each allowlist shape against no allowlist: in sandwiches (``allowlist=none`` before and after each run, the run
    compared with their mean), the median of ``--runs`` per-run ratios;
  - ngrokscore against the pass-through: on the large searches (``--large-rows``, default 1,000,000), ``--runs``
    pairs of runs next to each other, which of the two goes first alternating, and the verdict on the ratio of each
    command's **fastest** run. On this shared 2-core machine another process only ever adds CPU time to a run
    (contention for the core's caches and execution units, frequency drops), never removes it: the least disturbed
    run of each command is the estimate that noise moves least, and a 15-second run averages out the short
    disturbances that move a 3-second run by 0.9-1.5x. The same comparison on ``--pairs`` (default 5, the sandwiches'
    included) alternated pairs of the N-row searches is reported beside it, with its per-pair ratios and their
    median, for information;
* start-up: CPU time (and wall time) of a 1-row search (getinfo, one 1-row chunk, the empty finished chunk), the
  median of K runs, the commands alternating: the pass-through, ngrokscore with the mixed allowlist whose index an
  earlier search has cached, and the same with no usable cache folder (parsing and indexing on every search);
* memory: the process's peak RSS for N rows and for a larger search, to show whether it grows with the number
  of rows or only with the chunk size. Read as VmHWM from /proc before the command's input closes, because the
  child's ru_maxrss starts at the driver's own RSS (see MeasuredSession.peak_rss_kb).

The commands run with SPLUNK_HOME set to a folder of the benchmark's own, where ngrokscore keeps its index cache.
Targets (issue 10), in TARGETS: throughput >= 1.0 of the pass-through; every shape >= 0.9 of no allowlist; start-up
CPU <= 1.15 of the pass-through; peak RSS <= 1.3 of the pass-through; peak RSS flat from N to the larger search.
The benchmark reports whether they are met; it exits non-zero only when a run broke (protocol error, crash, wrong
row count).

    .venv/bin/python scripts/benchmark.py              # 200,000 rows; 1,000,000 for memory growth
    .venv/bin/python scripts/benchmark.py --quick      # 50,000 / 200,000 rows, fewer runs, for test suites
    .venv/bin/python scripts/benchmark.py --json bench.json --profile /tmp/ngrokscore.prof
    .venv/bin/python scripts/benchmark.py --worst-case  # hostile 1 MB command lines (benchmark_worst_case.py)
    .venv/bin/python scripts/benchmark.py --instructions 100000  # instruction counts under valgrind (deterministic)
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
HEADLINE = "ngrokscore (mixed allowlist)"
PASSTHROUGH = "pass-through"
NO_ALLOWLIST = "no allowlist"
LEAN_PASSTHROUGH = "pass-through, lean exit"
NGROKSCORE_ARGS = ("allowlist=bench_mixed.csv",)  # the headline command's options (see shape_file)
FIELDS = ("dest", "user", "parent_process_name", "process_name", "original_file_name", "process", "process_id",
          "parent_process_id", "count", "firstTime", "lastTime")
MB = 1024.0  # VmHWM and ru_maxrss are in KB on Linux

# Issue 10's targets: ngrokscore with every feature on and the mixed allowlist against the pass-through; every
# allowlist shape against no allowlist; peak RSS flat from the throughput run's rows to the large run's.
TARGETS = {"throughput": 1.0, "startup": 1.15, "rss": 1.3, "growth": 1.1, "shapes": 0.9}


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
        # The generated allowlists' entries that must match nothing keep these prefixes literal (_pattern_for).
        for values, marker in (([host for host, _, _ in self.hosts], "x"), (self.users, "xsvc-"),
                               (self.parents, "xp")):
            if any(value.lower().startswith(marker) for value in values):
                raise BenchmarkError("a generated value starts with %r, which non-matching entries rely on" % marker)

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
    # Wildcard host patterns with a literal user (the index keys them by their dest prefix: _build_index prefers
    # dest on equal counts): two that match whole fleets' service accounts...
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


# The allowlist shapes measured one by one (issue 10), each 10,000 entries: most describe hosts, accounts and
# command lines that are not in the results (the index must reject them cheaply), a few match real rows.
_TOKEN = "abcdefghijklmnopqrstuvwxyz0123456789"


def _word(rng, low=4, high=9):
    return "".join(rng.choice(_TOKEN) for _ in range(rng.randrange(low, high)))


def _pattern_for(rng, pools, field, shape, real):
    """One pattern of ``shape`` for ``field``. With ``real`` it is made from a value that occurs in the rows and
    keeps most of it literal (an admin's pattern for one fleet or one command); otherwise it is made from a value
    that does not occur (other sites, retired accounts, other ports), and the literal text that makes it differ
    always stays in the pattern, so that it matches no row: a host's leading ``x``, a user's leading ``xsvc-``, a
    parent's leading ``xp`` (Pools checks that no real host, user or parent starts with them) and a command line's
    port above 65535."""
    if field == "dest":
        value = rng.choice(pools.hosts)[0] if real else "x%s-9%05d.%s.example" % (
            _word(rng, 2, 5), rng.randrange(100000), _word(rng, 2, 4))
        key = (0, 1) if not real else None
    elif field == "user":
        value = rng.choice(pools.users) if real else "xsvc-" + _word(rng)
        key = (0, 5) if not real else None  # "xsvc-": "x" alone would keep "x*", which matches the user xavier
    elif field == "parent_process_name":
        value = rng.choice(pools.parents) if real else "xp" + _word(rng)
        key = (0, 1) if not real else None
    else:
        value = rng.choice(pools.command_lines) if real else "ngrok %s %d --label x%s" % (
            rng.choice(["tcp", "http", "tls"]), rng.randrange(70000, 100000), _word(rng))
        if not real:
            number = value.index(" ", 6) + 1
            key = (number, number + 5)  # the impossible port
    size = len(value)
    if real:
        keep = (0, size)
    else:
        keep = key  # the part of the value every pattern keeps literal
    if shape == "exact":
        return value
    if shape == "trailing":
        cut = max(keep[1], size - rng.randrange(1, 4)) if real else rng.randrange(keep[1], size + 1)
        return value[:cut] + "*"
    if shape == "leading":
        cut = min(keep[0], rng.randrange(1, 4)) if real else rng.randrange(0, keep[0] + 1)
        return "*" + value[cut:]
    if shape == "infix":
        if real:
            return "*" + value[1:-1] + "*" if size > 2 else "*" + value + "*"
        begin = rng.randrange(max(0, keep[0] - 6), keep[0] + 1)
        return "*" + value[begin:max(keep[1], begin + rng.randrange(4, 12))] + "*"
    # several wildcards: a literal head, a fragment, a literal tail
    third = max(1, size // 3)
    if real:
        return value[:third] + "*" + value[third + 1:2 * third] + "*" + value[2 * third + 1:]
    if keep[0] > 0:  # command line: head before the port, the port as the fragment, the label as the tail
        return value[:rng.randrange(1, keep[0])] + "*" + value[keep[0]:keep[1]] + "*" + value[-3:]
    return value[:max(2, keep[1])] + "*" + value[third:third + 3] + "*" + value[-rng.randrange(2, 6):]


_SHAPE_COLUMNS = {
    "exact dest": ("exact", "dest"),
    "exact user": ("exact", "user"),
    "trailing dest": ("trailing", "dest"),
    "leading dest": ("leading", "dest"),
    "infix process": ("infix", "process"),
    "several-wildcard process": ("several", "process"),
    "trailing process": ("trailing", "process"),
}
SHAPES = ("realistic",) + tuple(_SHAPE_COLUMNS) + ("mixed",)


def shape_file(shape):
    return "bench_%s.csv" % shape.replace(" ", "_").replace("-", "_")


def write_shape_allowlist(path, shape, pools, seed, entries=10000, real_share=0.002):
    """A seeded allowlist of one shape (see SHAPES). ``mixed``: every entry draws 1 to 3 columns and, per column,
    a shape among exact, trailing, leading, infix and several wildcards, as an admin's list mixes them. About
    ``real_share`` of the entries are made from values that occur in the rows (a real user or parent is paired
    with an exact host)."""
    if shape == "realistic":
        return write_allowlist(path, pools, seed, entries)
    rng = random.Random("allowlist-%s-%d" % (shape, seed))
    rows = []
    for number in range(entries):
        real = rng.random() < real_share
        patterns = dict.fromkeys(("dest", "user", "parent_process_name", "process"), "")
        if shape == "mixed":
            for field in rng.sample(list(patterns), rng.choice([1, 1, 2, 2, 3])):
                patterns[field] = _pattern_for(rng, pools, field, rng.choice(
                    ["exact", "exact", "trailing", "leading", "infix", "several"]), real)
        else:
            kind, field = _SHAPE_COLUMNS[shape]
            patterns[field] = _pattern_for(rng, pools, field, kind, real)
        if real and not (patterns["dest"] or patterns["process"]):
            # A real user or parent alone (root, bash) would allowlist a large share of the rows: pair it with a
            # host, as an admin scopes such an entry.
            patterns["dest"] = _pattern_for(rng, pools, "dest", "exact", True)
        rows.append(tuple(patterns.values()) + ("%s entry %d" % (shape, number), "secops@example.com", ""))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("dest", "user", "parent_process_name", "process", "reason", "owner", "expires"))
        writer.writerows(rows)
    return entries


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

def prepare_app(source, work_dir, pools, seed, bytecode, allowlist_entries=10000, shapes=SHAPES):
    """Copies the built app, adds the allowlist lookups (one per shape) and (optionally) compiles it as a warm
    install would be. Returns the app folder and {shape: entries written}."""
    app_dir = os.path.join(work_dir, os.path.basename(os.path.normpath(source)))
    shutil.copytree(source, app_dir)
    for part in (("bin", "ngrokscore.py"), ("bin", "lib", "splunklib", "__init__.py")):
        if not os.path.exists(os.path.join(app_dir, *part)):
            raise BenchmarkError("%s has no %s: is the app being rebuilt? Run scripts/build.py and try again"
                                 % (source, "/".join(part)))
    entries = {}
    for shape in shapes:
        entries[shape] = write_shape_allowlist(os.path.join(app_dir, "lookups", shape_file(shape)), shape, pools,
                                               seed, allowlist_entries)
    if bytecode:
        # The driver runs commands with PYTHONDONTWRITEBYTECODE=1; without this every start would compile splunklib.
        compileall.compile_dir(app_dir, quiet=1)
    return app_dir, entries


class _SplunkHome(object):
    """Points SPLUNK_HOME (inherited by the commands) at the benchmark's own folder, where ngrokscore keeps its
    allowlist index cache, or at a file, where it cannot keep one (a cold start on every search)."""

    def __init__(self, work_dir):
        self.warm = os.path.join(work_dir, "splunk-home")
        os.makedirs(self.warm)
        self.cold = os.path.join(work_dir, "no-splunk-home")
        with open(self.cold, "w") as handle:
            handle.write("a file: no cache folder can be made under it\n")
        os.environ["SPLUNK_HOME"] = self.warm

    def use(self, cold):
        os.environ["SPLUNK_HOME"] = self.cold if cold else self.warm


def _wait_until_lookups_settle(app_dir, settle=2.5):
    """Waits until the generated lookups are older than ngrokscore's racy-stat margin (index_cache._SETTLED_NS), as
    an admin's allowlist is by the time searches use it: until then every search hashes the file."""
    newest = max(os.stat(path).st_ctime for path in glob.glob(os.path.join(app_dir, "lookups", "*.csv")))
    delay = newest + settle - time.time()
    if delay > 0:
        time.sleep(delay)


def load_average():
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "unknown"


def measure(commands, app_dir, bodies, args, home):
    """Runs every measurement; returns {command name: {metric: value}}.

    ``commands``: the headline ngrokscore (the mixed allowlist) first, the pass-through second, then ngrokscore
    with no allowlist and with each other shape.
    """
    results = {command.name: {} for command in commands}
    headline, passthrough = commands[0], commands[1]
    small = bodies.for_rows(args.rows)
    large = bodies.for_rows(args.large_rows)
    one_row = bodies.for_rows(1)

    def log(text):
        if not args.quiet:
            sys.stdout.flush()
            sys.stderr.write("[load %s] %s\n" % (load_average(), text))
            sys.stderr.flush()

    # Start-up: the pass-through, ngrokscore with the mixed allowlist (its index cached by an earlier search, the
    # usual case), and the same with no cache (the first search after the file or the day changed); for
    # information, the pass-through ending as ngrokscore does (no interpreter teardown after a normal end: see
    # command.exit_at_once), to show what ngrokscore gains from that alone. Warm
    # the page cache and the index cache first, then alternate so drift hits every command alike.
    _wait_until_lookups_settle(app_dir)
    cold = Command(headline.name + " (no index cache)", headline.script, headline.args)
    lean = Command(LEAN_PASSTHROUGH, passthrough.script, passthrough.args)
    startup_commands = [(headline, False), (passthrough, False), (cold, True), (lean, False)]
    for command, _ in startup_commands[:2]:
        run_search(command.name, app_dir, command.script, command.args, one_row, 1, args.timeout)
    startup = {command.name: [] for command, _ in startup_commands}
    for attempt in range(args.startup_runs):
        for command, is_cold in startup_commands:
            home.use(is_cold)
            if command is lean:
                os.environ["NGROK_BENCH_LEAN"] = "1"
            try:
                startup[command.name].append(
                    run_search(command.name, app_dir, command.script, command.args, one_row, 1, args.timeout))
            finally:
                home.use(False)
                os.environ.pop("NGROK_BENCH_LEAN", None)
    for command, _ in startup_commands:
        runs = startup[command.name]
        results.setdefault(command.name, {}).update(
            startup_ms=1000 * statistics.median(run.wall for run in runs),
            startup_ms_runs=[round(1000 * run.wall, 1) for run in runs],
            startup_cpu_ms=1000 * statistics.median(run.cpu for run in runs),
            startup_cpu_ms_runs=[round(1000 * run.cpu, 1) for run in runs],
            startup_rss_mb=statistics.median(run.peak_rss_kb for run in runs) / MB,
        )
        log("start-up %-40s median %.1f ms CPU, %.1f ms wall" % (
            command.name, results[command.name]["startup_cpu_ms"], results[command.name]["startup_ms"]))

    # Throughput, in sandwiches: the machine's speed drifts by tens of percent within minutes (other work on its two
    # cores), more than the differences measured here. So ngrokscore with no allowlist runs before and after every
    # other command, and each run is compared with the mean of its two neighbours (a drift that is steady over the
    # three runs cancels out); the headline and the pass-through run next to each other, in turn first and second
    # (a run's position cannot favour either). Each target is judged on the median of these per-run ratios, and
    # each round starts with another command.
    none = commands[2]
    # Every allowlist's index cached first, as the headline's was for start-up: the first search after a file
    # changes parses and indexes it (the start-up row "no index cache" shows that cost), which would otherwise land
    # in one of each shape's runs and say nothing about its cost per row.
    for command in commands:
        if command is not passthrough:
            run_search(command.name, app_dir, command.script, command.args, one_row, 1, args.timeout)
    throughput = {command.name: [] for command in commands}
    paired = {command.name: [] for command in commands}  # name -> [ratio of its rows/CPU-s to its reference's]
    subjects = [command for command in commands if command not in (passthrough, none)]

    def measured(command):
        run = run_search(command.name, app_dir, command.script, command.args, small, args.rows, args.timeout)
        throughput[command.name].append(run)
        log("%d rows  %-32s %.2f CPU-s  %.0f MB  (%d allowlisted)"
            % (args.rows, command.name, run.cpu, run.peak_rss_kb / MB, run.allowlisted))
        return run

    for attempt in range(args.runs):
        shift = attempt * len(subjects) // args.runs
        before = measured(none)
        for subject in subjects[shift:] + subjects[:shift]:
            if subject is headline:
                if attempt % 2:
                    run = measured(subject)
                    reference = measured(passthrough)
                else:
                    reference = measured(passthrough)
                    run = measured(subject)
                paired[passthrough.name].append(reference.cpu / run.cpu)
            else:
                run = measured(subject)
            after = measured(none)
            paired[subject.name].append((before.cpu + after.cpu) / 2 / run.cpu)
            before = after
    # Throughput against the pass-through: more alternated pairs than sandwiches (each pair is two runs, not four),
    # judged on each command's least disturbed run (see report). The sandwiches' pairs count among them.
    for attempt in range(args.runs, args.pairs):
        for command in ((headline, passthrough) if attempt % 2 else (passthrough, headline)):
            measured(command)
        paired[passthrough.name].append(throughput[passthrough.name][-1].cpu / throughput[headline.name][-1].cpu)
    for command in commands:
        runs = throughput[command.name]
        cpu = statistics.median(run.cpu for run in runs)
        results[command.name].update(
            cpu_s=cpu,
            cpu_s_runs=[round(run.cpu, 3) for run in runs],
            min_cpu_s=min(run.cpu for run in runs),
            wall_s=statistics.median(run.wall for run in runs),
            rows_per_cpu_s=args.rows / cpu,
            peak_rss_mb=statistics.median(run.peak_rss_kb for run in runs) / MB,
            ru_maxrss_mb=statistics.median(run.ru_maxrss_kb for run in runs) / MB,
            allowlisted=runs[0].allowlisted,
            warnings=sorted(set(warning for run in runs for warning in run.warnings)),
            paired_ratios=[round(ratio, 3) for ratio in paired[command.name]],
            paired_ratio=statistics.median(paired[command.name]) if paired[command.name] else None,
        )

    # Memory growth: the same search's peak RSS moves by about 10% from run to run (93-109 MB for the same 200,000
    # rows), as much as the growth judged, so the large search runs as often as the others and medians compare.
    large_runs = {command.name: [] for command in (headline, passthrough)}
    for attempt in range(args.runs):
        for command in ((headline, passthrough) if attempt % 2 else (passthrough, headline)):
            run = run_search(command.name, app_dir, command.script, command.args, large, args.large_rows,
                             args.timeout)
            log("%d rows  %-32s %.2f CPU-s  %.0f MB"
                % (args.large_rows, command.name, run.cpu, run.peak_rss_kb / MB))
            large_runs[command.name].append(run)
    for command in (headline, passthrough):
        runs = large_runs[command.name]
        cpu = statistics.median(run.cpu for run in runs)
        results[command.name].update(
            large_cpu_s=cpu,
            large_min_cpu_s=min(run.cpu for run in runs),
            large_cpu_s_runs=[round(run.cpu, 3) for run in runs],
            large_rows_per_cpu_s=args.large_rows / cpu,
            large_peak_rss_mb=statistics.median(run.peak_rss_kb for run in runs) / MB,
            large_peak_rss_mb_runs=[round(run.peak_rss_kb / MB, 1) for run in runs],
            large_ru_maxrss_mb=statistics.median(run.ru_maxrss_kb for run in runs) / MB,
            large_allowlisted=runs[0].allowlisted,
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
    headline, passthrough, none = (results[name] for name in (HEADLINE, PASSTHROUGH, NO_ALLOWLIST))
    cold = results[HEADLINE + " (no index cache)"]
    lean = results[LEAN_PASSTHROUGH]
    # Judged on the large searches, alternated in pairs, each command's least disturbed run (see the module
    # docstring): the pass-through's fastest CPU time over the headline's. The smaller runs are shown beside it.
    throughput_ratio = passthrough["large_min_cpu_s"] / headline["large_min_cpu_s"]
    startup_ratio = headline["startup_cpu_ms"] / passthrough["startup_cpu_ms"]
    rss_ratio = headline["peak_rss_mb"] / passthrough["peak_rss_mb"]
    large_rss_ratio = headline["large_peak_rss_mb"] / passthrough["large_peak_rss_mb"]
    growth = headline["rss_growth"]
    shape_ratios = {name: results[name]["paired_ratio"] for name in facts["shapes"]}
    worst_shape = min(shape_ratios, key=shape_ratios.get)
    small, large = _rows(args.rows), _rows(args.large_rows)
    verdicts = {
        "shapes": shape_ratios[worst_shape] >= TARGETS["shapes"],
        "throughput": throughput_ratio >= TARGETS["throughput"],
        "startup": startup_ratio <= TARGETS["startup"],
        "rss": rss_ratio <= TARGETS["rss"],
        "large_rss": large_rss_ratio <= TARGETS["rss"],
        "growth": growth <= TARGETS["growth"],
    }

    write = out.write
    write("# ngrokscore benchmark\n\n")
    write("- date: %s\n" % facts["date"])
    write("- command: `%s`\n" % facts["command_line"])
    write("- machine: %s CPUs, %s; Python %s (%s); splunk-sdk %s\n"
          % (facts["cpu_count"], facts["platform"], facts["python"], facts["python_executable"], facts["splunk_sdk"]))
    write("- load average (1, 5, 15 min) at start %s, at end %s: the machine is shared, so every figure is CPU time "
          "of the command's own process, the median of several runs\n" % (facts["load_start"], facts["load_end"]))
    write("- app: %s version %s, bin/ fingerprint %s\n"
          % (facts["app"], facts["app_version"], facts["app_fingerprint"]))
    write("- input: %s rows (throughput, memory) and %s rows (memory growth) in %s-row chunks; %s hosts, %s users, "
          "%s parents, %s command lines; %s distinct (dest, user, parent, process) in the %s rows\n"
          % (small, large, _rows(args.chunk_size), _rows(facts["hosts"]), facts["users"], facts["parents"],
             _rows(facts["command_lines"]), _rows(facts["distinct_inputs"]), small))
    write("- ngrokscore: every feature on (risk modifiers, redaction, on_allowlist=mark) with `allowlist=%s`, %s "
          "entries of mixed shapes (seed %d); %s of %s rows allowlisted, %s of %s\n"
          % (shape_file("mixed"), _rows(facts["allowlist_entries"]["mixed"]), args.seed,
             _rows(headline["allowlisted"]), small, _rows(headline["large_allowlisted"]), large))
    write("- runs: shapes median of %d sandwiches, throughput against the pass-through on the fastest of %d alternated "
          "pairs of %s rows (%d pairs of %s rows for information), start-up median of %d (after one warm-up each); "
          "bytecode %s\n\n"
          % (args.runs, args.runs, large, args.pairs, small, args.startup_runs,
             "precompiled (warm install)" if not args.no_bytecode else "not precompiled (cold)"))

    write("| metric | ngrokscore | pass-through | ratio | target | met? |\n")
    write("|---|---:|---:|---:|---|---|\n")
    write("| throughput, rows per CPU-second, %s rows (fastest of %d runs each, alternated in pairs; CPU-s %s against "
          "%s) | %s | %s | %.2f | ratio >= %.2f | %s |\n"
          % (large, len(headline["large_cpu_s_runs"]), headline["large_cpu_s_runs"], passthrough["large_cpu_s_runs"],
             _rows(round(args.large_rows / headline["large_min_cpu_s"])),
             _rows(round(args.large_rows / passthrough["large_min_cpu_s"])),
             throughput_ratio, TARGETS["throughput"], _met(verdicts["throughput"])))
    write("| throughput, %s rows (fastest of %d runs each, alternated in pairs; per-pair ratios %s, median %.2f) | %s "
          "| %s | %.2f | (information) | |\n"
          % (small, len(passthrough["cpu_s_runs"]), passthrough["paired_ratios"], passthrough["paired_ratio"],
             _rows(round(args.rows / headline["min_cpu_s"])), _rows(round(args.rows / passthrough["min_cpu_s"])),
             passthrough["min_cpu_s"] / headline["min_cpu_s"]))
    write("| start-up, 1-row search, CPU ms (median), index cached | %.1f | %.1f | %.2f | ratio <= %.2f | %s |\n"
          % (headline["startup_cpu_ms"], passthrough["startup_cpu_ms"], startup_ratio, TARGETS["startup"],
             _met(verdicts["startup"])))
    write("| start-up, 1-row search, CPU ms (median), no index cache | %.1f | %.1f | %.2f | (information) | |\n"
          % (cold["startup_cpu_ms"], passthrough["startup_cpu_ms"],
             cold["startup_cpu_ms"] / passthrough["startup_cpu_ms"]))
    write("| start-up, 1-row search, CPU ms (median), index cached, against the pass-through with the same lean "
          "exit | %.1f | %.1f | %.2f | (information) | |\n"
          % (headline["startup_cpu_ms"], lean["startup_cpu_ms"], headline["startup_cpu_ms"] / lean["startup_cpu_ms"]))
    write("| start-up, 1-row search, wall ms (median), index cached | %.1f | %.1f | %.2f | (information) | |\n"
          % (headline["startup_ms"], passthrough["startup_ms"], headline["startup_ms"] / passthrough["startup_ms"]))
    write("| peak RSS, MB (%s rows) | %.1f | %.1f | %.2f | ratio <= %.2f | %s |\n"
          % (small, headline["peak_rss_mb"], passthrough["peak_rss_mb"], rss_ratio, TARGETS["rss"],
             _met(verdicts["rss"])))
    write("| peak RSS, MB (%s rows) | %.1f | %.1f | %.2f | ratio <= %.2f | %s |\n"
          % (large, headline["large_peak_rss_mb"], passthrough["large_peak_rss_mb"], large_rss_ratio,
             TARGETS["rss"], _met(verdicts["large_rss"])))
    write("| peak RSS growth, %s / %s rows (medians; %s rows: %s MB) | %.2f | %.2f | | ngrokscore <= %.2f (flat) "
          "| %s |\n"
          % (large, small, large, ", ".join("%.1f" % mb for mb in headline["large_peak_rss_mb_runs"]), growth, passthrough["rss_growth"], TARGETS["growth"], _met(verdicts["growth"])))
    write("| CPU seconds, %s rows (median) | %.2f | %.2f | %.2f | (information) | |\n"
          % (small, headline["cpu_s"], passthrough["cpu_s"], headline["cpu_s"] / passthrough["cpu_s"]))
    write("| CPU seconds, %s rows (median) | %.2f | %.2f | %.2f | (information) | |\n"
          % (large, headline["large_cpu_s"], passthrough["large_cpu_s"],
             headline["large_cpu_s"] / passthrough["large_cpu_s"]))

    write("\nEach allowlist shape, %s entries, %s rows (every feature on). Ratio to no allowlist: the median of the "
          "per-run ratios, each shape's run between two runs of ngrokscore with `allowlist=none` and compared with "
          "their mean; must be >= %.2f. "
          "Ratio to the pass-through: medians of all runs, for information:\n\n"
          % (_rows(args.allowlist_entries), small, TARGETS["shapes"]))
    write("| allowlist | rows per CPU-second (median) | CPU-s runs | per-run ratios to no allowlist | ratio to no "
          "allowlist | ratio to pass-through | rows allowlisted |\n|---|---:|---|---|---:|---:|---:|\n")
    for name in [NO_ALLOWLIST] + list(facts["shapes"]):
        result = results[name]
        write("| %s | %s | %s | %s | %s | %.2f | %s |\n"
              % (name, _rows(round(result["rows_per_cpu_s"])), result["cpu_s_runs"],
                 result["paired_ratios"] if name in shape_ratios else "",
                 "%.2f" % shape_ratios[name] if name in shape_ratios else "1.00",
                 result["rows_per_cpu_s"] / passthrough["rows_per_cpu_s"], _rows(result["allowlisted"])))
    write("\nSlowest shape: %s (%.2f of no allowlist): %s\n"
          % (worst_shape, shape_ratios[worst_shape], "met" if verdicts["shapes"] else "**not met**"))
    write("\nThe throughput and shape verdicts above are by CPU time, which moves by tens of percent on a shared "
          "machine; `--instructions ROWS` gives the deterministic verdicts of both (instruction counts).\n")
    write("\nStart-up CPU ms: ngrokscore %s; pass-through %s; no index cache %s; lean pass-through %s\n"
          % (headline["startup_cpu_ms_runs"], passthrough["startup_cpu_ms_runs"], cold["startup_cpu_ms_runs"],
             lean["startup_cpu_ms_runs"]))
    write("Start-up wall ms: ngrokscore %s; pass-through %s\n"
          % (headline["startup_ms_runs"], passthrough["startup_ms_runs"]))
    for name in results:
        for warning in results[name].get("warnings", ()):
            write("\n%s said %s\n" % (name, warning))
    return {
        "throughput_ratio": throughput_ratio,
        "startup_ratio": startup_ratio,
        "peak_rss_ratio": rss_ratio,
        "large_peak_rss_ratio": large_rss_ratio,
        "rss_growth": growth,
        "shape_ratios": shape_ratios,
        "targets": TARGETS,
        "met": verdicts,
    }


def instruction_counts(args, out=sys.stdout):
    """Instructions each command executes for the same rows, counted by valgrind's callgrind (deterministic: the
    machine's load, which moves CPU times by tens of percent, does not change them). Prints a table; returns 0."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise BenchmarkError("--instructions needs valgrind (e.g. apt-get install valgrind)")
    work_dir = tempfile.mkdtemp(prefix="ngrokscore-bench-ir-")
    saved_executable = sys.executable
    try:
        pools = Pools(args.seed)
        app_dir, _ = prepare_app(args.app, work_dir, pools, args.seed, not args.no_bytecode, args.allowlist_entries,
                                 args.shapes)
        _SplunkHome(work_dir)
        os.environ["NGROK_BENCH_APP_DIR"] = app_dir
        bodies = ChunkBodies(pools, args.seed, args.chunk_size)
        rows, one_row = bodies.for_rows(args.instructions), bodies.for_rows(1)
        _wait_until_lookups_settle(app_dir)
        script = os.path.join(app_dir, "bin", "ngrokscore.py")
        commands = [Command(NO_ALLOWLIST, script, ("allowlist=none",)), Command(PASSTHROUGH, PASSTHROUGH_SCRIPT, ())]
        commands += [Command(shape, script, ("allowlist=" + shape_file(shape),)) for shape in args.shapes]
        for command in commands[2:]:
            run_search(command.name, app_dir, command.script, command.args, one_row, 1, args.timeout)  # cache
        # The protocol driver starts sys.executable: a wrapper runs it under callgrind instead.
        wrapper = os.path.join(work_dir, "python-under-callgrind")
        with open(wrapper, "w") as handle:
            handle.write('#!/bin/sh\nexec %s --tool=callgrind --callgrind-out-file=%s/callgrind.%%p %s "$@"\n'
                         % (valgrind, work_dir, saved_executable))
        os.chmod(wrapper, 0o755)
        counts = {}
        for command in commands:
            for old in glob.glob(os.path.join(work_dir, "callgrind.*")):
                os.remove(old)
            sys.executable = wrapper
            try:
                run_search(command.name, app_dir, command.script, command.args, rows, args.instructions,
                           args.timeout * 50)
            finally:
                sys.executable = saved_executable
            total = 0
            for path in glob.glob(os.path.join(work_dir, "callgrind.*")):
                with open(path) as handle:
                    for line in handle:
                        if line.startswith(("summary:", "totals:")):
                            total = max(total, int(line.split()[1]))
            counts[command.name] = total
            sys.stderr.write("%s: %.0f M instructions\n" % (command.name, total / 1e6))
        none, passthrough = counts[NO_ALLOWLIST], counts[PASSTHROUGH]
        out.write("| command (%s rows, %s entries) | instructions, millions | ratio to no allowlist | share of the "
                  "pass-through's |\n|---|---:|---:|---:|\n" % (_rows(args.instructions), _rows(args.allowlist_entries)))
        for name, total in counts.items():
            out.write("| %s | {:,} | %s | %.2f |\n".format(round(total / 1e6))
                      % (name, "" if name == PASSTHROUGH else "%.2f" % (none / total), total / passthrough))
        # The verdicts of targets 1 and 2 by instruction counts: deterministic, unlike CPU-time pairs on a shared
        # machine (the other targets, start-up and memory, need the normal run).
        shapes = {name: none / total for name, total in counts.items() if name not in (NO_ALLOWLIST, PASSTHROUGH)}
        slowest = min(shapes, key=shapes.get)
        throughput = passthrough / counts["mixed"]
        out.write("\nBy instruction counts: slowest shape %s, %.2f of no allowlist (target >= %.2f): %s; "
                  "throughput with the mixed list %.2f of the pass-through's (target >= %.2f): %s\n"
                  % (slowest, shapes[slowest], TARGETS["shapes"], _met(shapes[slowest] >= TARGETS["shapes"]),
                     throughput, TARGETS["throughput"], _met(throughput >= TARGETS["throughput"])))
        return 0
    finally:
        sys.executable = saved_executable
        shutil.rmtree(work_dir, ignore_errors=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Benchmark ngrokscore against a splunklib pass-through command (see the module docstring).")
    parser.add_argument("--app", default=DEFAULT_APP, help="built app folder (default build/SA-ngrok-detection)")
    parser.add_argument("--rows", type=int, help="rows for throughput and peak RSS (default 200,000; quick 50,000)")
    parser.add_argument("--large-rows", type=int,
                        help="rows for the memory growth run (default 1,000,000; quick 200,000)")
    parser.add_argument("--runs", type=int,
                        help="sandwiches per shape and alternated pairs of the large search (default 3; quick 1)")
    parser.add_argument("--startup-runs", type=int, help="1-row start-up runs per command (default 9; quick 3)")
    parser.add_argument("--pairs", type=int,
                        help="alternated ngrokscore / pass-through pairs for the throughput verdict, the sandwiches' "
                             "included (default 5; quick 1; at least --runs), for information")
    parser.add_argument("--chunk-size", type=int, default=MAX_RESULT_ROWS, help="rows per execute chunk")
    parser.add_argument("--allowlist-entries", type=int, default=10000,
                        help="entries in each generated allowlist (default %(default)s)")
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help="allowlist shapes to measure besides 'mixed' and none, comma-separated "
                             "(default: all of %s)" % ", ".join(SHAPES))
    parser.add_argument("--seed", type=int, default=20261101, help="seed of the generated rows and allowlists")
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
    parser.add_argument("--instructions", type=int, metavar="ROWS",
                        help="only instruction counts (valgrind's callgrind: deterministic, load-independent, about "
                             "50 times slower) of ROWS rows for no allowlist, the pass-through and every shape")
    parser.add_argument("--worst-case", action="store_true",
                        help="only the worst-case section: hostile 1 MB command lines (scripts/benchmark_worst_case.py)")
    args = parser.parse_args(argv)
    quick = args.quick
    for name, full, small in (("rows", 200000, 50000), ("large_rows", 1000000, 200000), ("runs", 3, 1),
                              ("startup_runs", 9, 3), ("pairs", 5, 1)):
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    if min(args.rows, args.large_rows, args.runs, args.startup_runs, args.chunk_size, args.allowlist_entries) < 1:
        parser.error("sizes and run counts must be positive")
    args.pairs = max(args.pairs, args.runs)
    args.shapes = [shape.strip() for shape in args.shapes.split(",") if shape.strip()]
    unknown = [shape for shape in args.shapes if shape not in SHAPES]
    if unknown:
        parser.error("unknown shape(s) %s; the shapes are %s" % (", ".join(unknown), ", ".join(SHAPES)))
    if "mixed" not in args.shapes:
        args.shapes.append("mixed")
    if not os.path.exists(os.path.join(args.app, "bin", "ngrokscore.py")):
        parser.error("no built app at %s: run '.venv/bin/python scripts/build.py' first" % args.app)
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.instructions:
        return instruction_counts(args)
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
        "load_start": load_average(),
    }
    work_dir = tempfile.mkdtemp(prefix="ngrokscore-bench-")
    saved_home = os.environ.get("SPLUNK_HOME")
    try:
        started = time.monotonic()
        pools = Pools(args.seed)
        app_dir, facts["allowlist_entries"] = prepare_app(args.app, work_dir, pools, args.seed, not args.no_bytecode,
                                                          args.allowlist_entries, args.shapes)
        home = _SplunkHome(work_dir)
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

        script = os.path.join(app_dir, "bin", "ngrokscore.py")
        commands = [Command(HEADLINE, script, ("allowlist=" + shape_file("mixed"),)),
                    Command(PASSTHROUGH, PASSTHROUGH_SCRIPT, ()),
                    Command(NO_ALLOWLIST, script, ("allowlist=none",))]
        commands += [Command(shape, script, ("allowlist=" + shape_file(shape),)) for shape in args.shapes
                     if shape != "mixed"]
        facts["shapes"] = [shape for shape in args.shapes if shape != "mixed"] + [HEADLINE]
        results = measure(commands, app_dir, bodies, args, home)
        facts["load_end"] = load_average()
        summary = report(results, facts, args, sys.stdout)
        profile = None
        if args.profile:
            profile = profile_ngrokscore(app_dir, bodies, args.rows, args.profile, args.timeout)
            sys.stdout.write("\n## ngrokscore under cProfile, %s rows (top 15 by cumulative, then internal time)"
                             "\n\n```\n%s```\n"
                             % (_rows(args.rows), profile.strip("\n") + "\n"))
        if args.json:
            settings = {name: getattr(args, name) for name in ("rows", "large_rows", "runs", "pairs", "startup_runs",
                                                                "chunk_size", "seed", "quick", "no_bytecode", "shapes")}
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump({"facts": facts, "settings": settings, "results": results, "summary": summary,
                           "profile": profile}, handle, indent=2)
                handle.write("\n")
    except (ProtocolError, BenchmarkError) as error:
        sys.stderr.write("benchmark failed: %s\n" % error)
        return 1
    finally:
        if saved_home is None:
            os.environ.pop("SPLUNK_HOME", None)
        else:
            os.environ["SPLUNK_HOME"] = saved_home
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
