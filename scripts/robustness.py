#!/usr/bin/env python3
"""The robustness and security campaign, from one command, and its whole results table.

    .venv/bin/python scripts/robustness.py                       # short form: about 10 minutes on 2 cores
    .venv/bin/python scripts/robustness.py --long                # long form: 13-17 minutes on 2 cores (measured)
    .venv/bin/python scripts/robustness.py --long --fuzz-seconds 60   # the same (60 s is the long default)
    .venv/bin/python scripts/robustness.py --alert-only          # only the alert fault injection; prints its rows

One run, against the built app (run scripts/build.py first), in this order:

1. pytest tests/robustness/ with HYPOTHESIS_PROFILE=campaign (long) or ci (short): the protocol properties, the
   hostile command-line properties (tunnels never under-scored, secrets never returned), the adversarial cases
   (issue 9's counted apart), the alert action's fault injection (100,000 results long, 20,000 short), the fuzzer
   regressions;
2. the worst-case command-line shapes of scripts/benchmark_worst_case.py (1 MB long, 250 KB short): CPU seconds,
   reported against their target, not a test (a busy machine changes the figures, never a verdict);
3. the coverage-guided fuzzer (atheris, scripts/fuzz.py) on every target, --fuzz-seconds each.

Writes every row of docs/robustness.md from what this run measured (nothing is carried over from earlier runs),
and exits non-zero when any test failed, the fuzzer found anything, or any part crashed, leaked a secret, lost an
event or under-scored a tunnel, or did not report its figures.
"""

import argparse
import ast
import datetime
import glob
import io
import json
import os
import platform
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(SCRIPTS)
REPORTS = os.path.join(ROOT, "reports", "robustness")
TABLE = os.path.join(ROOT, "docs", "robustness.md")
# Results the alert action's fault injection feeds it (`make test` runs the same tests with 2,000).
ALERT_ROWS = 100000
ALERT_TESTS = "tests/robustness/test_alert_faults.py"
ADVERSARIAL = os.path.join(ROOT, "tests", "robustness", "test_adversarial.py")
ISSUE_9_MARKER = "# -- issue 9:"
FORMS = {"short": {"profile": "ci", "fuzz_seconds": 20, "worst_case_size": 250000, "alert_rows": 20000},
         "long": {"profile": "campaign", "fuzz_seconds": 60, "worst_case_size": 1000000, "alert_rows": ALERT_ROWS}}


def run_tests(profile, paths=("tests/robustness",), alert_rows=ALERT_ROWS):
    """pytest on ``paths``; returns its exit code and {module: {test name: failed}} from its JUnit report."""
    os.makedirs(REPORTS, exist_ok=True)
    junit = os.path.join(REPORTS, "junit.xml")
    if os.path.exists(junit):
        os.remove(junit)
    env = dict(os.environ, HYPOTHESIS_PROFILE=profile, ROBUSTNESS_ALERT_ROWS=str(alert_rows))
    code = subprocess.call([sys.executable, "-m", "pytest"] + list(paths) + ["-q", "-p", "no:cacheprovider",
                           "--junitxml", junit], cwd=ROOT, env=env)
    cases = {}
    if os.path.exists(junit):
        for case in ElementTree.parse(junit).getroot().iter("testcase"):
            module = case.get("classname", "").rsplit(".", 1)[-1]
            failed = any(child.tag in ("failure", "error") for child in case)
            cases.setdefault(module, {})[case.get("name", "")] = failed
    return code, cases


def issue_9_tests():
    """The names of test_adversarial.py's test functions below its issue 9 section marker."""
    with open(ADVERSARIAL, encoding="utf-8") as handle:
        source = handle.read()
    marker = next((number for number, line in enumerate(source.splitlines(), 1) if line.startswith(ISSUE_9_MARKER)),
                  None)
    if marker is None:
        return set()
    return {node.name for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") and node.lineno > marker}


def run_worst_case(size):
    """scripts/benchmark_worst_case.py's shapes through the built command and the core; (results, error text)."""
    sys.path.insert(0, SCRIPTS)
    import benchmark_worst_case
    out = io.StringIO()
    try:
        results = benchmark_worst_case.run(size=size, out=out)
        error = None
    except Exception as exc:  # a crash of the command or the core on a shape: reported, and the run fails
        results, error = {}, "%s: %s" % (type(exc).__name__, str(exc)[:300])
    with open(os.path.join(REPORTS, "worst_case.md"), "w", encoding="utf-8") as handle:
        handle.write(out.getvalue() + ("\nFAILED: %s\n" % error if error else ""))
    sys.stdout.write(out.getvalue())
    return results, error


def run_fuzzer(seconds):
    summary_path = os.path.join(REPORTS, "fuzz.json")
    code = subprocess.call([sys.executable, os.path.join(SCRIPTS, "fuzz.py"), "--seconds", str(seconds),
                            "--json", summary_path], cwd=ROOT)
    if not os.path.exists(summary_path):
        return code or 1, {}
    with open(summary_path) as handle:
        return code, json.load(handle)


def load(name):
    path = os.path.join(REPORTS, name)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def alert_lines(cases):
    """The alert action's rows of the table, from what test_alert_faults.py recorded; and the problems seen."""
    faults, rerun = load("alert_faults.json"), load("alert_kill_rerun.json")
    generated, scale = load("alert_generated_text.json"), load("alert_scale.json")
    failed = cases.get("test_alert_faults", {})

    def crashes(word):
        return sum(value for name, value in failed.items() if word in name)

    lines, problems = [], []
    for name, figures in (("alert_faults", faults), ("alert_kill_rerun", rerun),
                          ("alert_generated_text", generated), ("alert_scale", scale)):
        if not figures:
            problems.append("%s: no figures recorded (its test failed or did not run)" % name)
    if faults:
        lines.append(
            "| alert action, %d results, receiver failing 30%% of %d requests (%s; 302 = redirect, trickle = one "
            "byte at a time, stall = no answer) | %d risk events | %d | 0 "
            "| n/a | lost silently: %d; not delivered: %d; unconfirmed (reply lost on the last attempt, reported): "
            "%d; received twice: %d (logged possible duplicates: %d); exit code %d | 0 "
            "| `pytest %s -k failing` |" % (
                faults["results"], faults["requests"],
                ", ".join("%s %d" % (k, v) for k, v in sorted(faults["faults"].items())),
                faults["events"], crashes("failing"), faults["lost_silently"], faults["reported_not_delivered"],
                faults["reported_unconfirmed"], faults["received_twice"], faults["reported_possible_duplicates"],
                faults["exit_code"], ALERT_TESTS))
        if faults["lost_silently"]:
            problems.append("alert action: %d risk events lost silently" % faults["lost_silently"])
    if rerun:
        lines.append(
            "| alert action killed (SIGKILL) mid-run, then run again | %d risk events | %d | 0 | n/a | lost: %d; "
            "delivered before the kill: %d, delivered again by the rerun: %d (same risk_event_id: %d distinct ids) "
            "| 0 | `pytest %s -k killed` |" % (
                rerun["events"], crashes("killed"), rerun["lost"], rerun["delivered_before_kill"],
                rerun["after_rerun_duplicates"], rerun.get("distinct_risk_event_ids", 0), ALERT_TESTS))
        if rerun["lost"]:
            problems.append("alert action killed and rerun: %d risk events lost" % rerun["lost"])
    if generated:
        lines.append(
            "| alert action, generated text in every field (%d distinct code points, %d beyond Latin-1; quotes, "
            "backslashes, `=`, `,`, line breaks, the stash breaker) | %d results, %d risk events | %d | 0 | 0 "
            "| lost: %d; read differently by DELIMS / auto / auto_escaped: %d | 0 | `pytest %s -k generated` |" % (
                generated["distinct_code_points"], generated["beyond_latin_1"], generated["results"],
                generated["events"], crashes("generated"), generated["lost"], generated["mismatched_readings"],
                ALERT_TESTS))
        if generated["lost"] or generated["mismatched_readings"]:
            problems.append("alert action, generated text: %d lost, %d read differently" % (
                generated["lost"], generated["mismatched_readings"]))
    if scale:
        lines.append(
            "| alert action, healthy receiver | %d results, %d risk events in %d batches | %d | 0 | 0 | lost: %d; "
            "peak memory %d MB | 0 | `pytest %s -k healthy` |" % (
                scale["results"], scale["events"], scale["batches"], crashes("healthy"),
                2 * scale["results"] - scale["events"], scale["peak_rss_kb"] // 1024, ALERT_TESTS))
    return lines, problems


def _count(cases, module, names=None, exclude=None):
    """(tests run, tests failed) of one module, optionally only the tests whose function is in ``names``."""
    total = failed = 0
    for name, broken in cases.get(module, {}).items():
        function = name.split("[", 1)[0]
        if (names is not None and function not in names) or (exclude is not None and function in exclude):
            continue
        total += 1
        failed += broken
    return total, failed


def _failed(cases, module, function):
    return sum(broken for name, broken in cases.get(module, {}).items() if name.split("[", 1)[0] == function)


def table_rows(form, cases, fuzz, worst, worst_error):
    """Every row of the table, and the problems that make the run fail."""
    problems = []
    properties = [load(os.path.basename(path)) for path in sorted(glob.glob(os.path.join(REPORTS, "properties-*")))]
    property_total, property_failed = _count(cases, "test_protocol_properties")
    if not properties or not property_total:
        problems.append("protocol properties: no figures recorded")
    chunks = sum(item["chunks"] for item in properties)
    rows = sum(item["rows"] for item in properties)
    secrets = sum(item["secrets_sent"] for item in properties)
    issue_9 = issue_9_tests()
    adversarial_total, adversarial_failed = _count(cases, "test_adversarial", exclude=issue_9)
    issue_9_total, issue_9_failed = _count(cases, "test_adversarial", names=issue_9)
    issue_9_under = sum(_failed(cases, "test_adversarial", name) for name in issue_9
                        if "under_scored" in name or "persistence" in name)
    issue_9_leaks = sum(_failed(cases, "test_adversarial", name) for name in issue_9
                        if "secret" in name or "masked" in name)
    if not adversarial_total or not issue_9_total:
        problems.append("adversarial cases: none ran (or no issue 9 section in test_adversarial.py)")
    all_adversarial = adversarial_total + issue_9_total
    lines = [
        "| protocol properties (Hypothesis `%s` profile, 3 option sets, one process each) | %d chunks, %d rows, "
        "%d secrets | %d | 0 | %d | n/a | %d | `pytest tests/robustness/test_protocol_properties.py` |"
        % (FORMS[form]["profile"], chunks, rows, secrets, property_failed, property_failed, property_failed),
        "| adversarial cases (injection, 25 secret forms, allowlist bypass, traversal, formulas, 100,000-entry "
        "allowlist, malformed and truncated streams, multi-MB values) | %d of the %d named tests in "
        "`test_adversarial.py` | %d | 0 | 0 | n/a | 0 | `pytest tests/robustness/test_adversarial.py` |"
        % (adversarial_total, all_adversarial, adversarial_failed),
        "| issue 9 adversarial cases through the built command: NUL with every private-use character on each "
        "Python found, under-scoring forms, persistence forms, leak classes, masked `ngrok_target`, malformed "
        "requests after getinfo, lookup problems before any execute | %d of the %d named tests in "
        "`test_adversarial.py` | %d | 0 | 0 | n/a | %d (under-scored tunnels: %d) "
        "| `pytest tests/robustness/test_adversarial.py` |"
        % (issue_9_total, all_adversarial, issue_9_failed, issue_9_leaks, issue_9_under),
    ]
    tunnels, secret_lines = load("cmdline-tunnels.json"), load("cmdline-secrets.json")
    under = _failed(cases, "test_cmdline_properties", "test_a_tunnel_to_port_22_is_never_under_scored")
    leaks = _failed(cases, "test_cmdline_properties", "test_no_secret_in_any_spelling_reaches_the_output")
    if not tunnels or not secret_lines:
        problems.append("hostile command lines: no figures recorded")
    lines.append(
        "| hostile command lines (Hypothesis `%s` profile, one command process per property): tunnels to port 22 "
        "whose flag values hold verbs, help/version words and shell syntax, shell-quoted, Sysmon-unquoted and "
        "NUL-separated, behind launchers; secrets in every spelling (10 secret flags as `--x`, `-x`, `--x=`, quoted "
        "names and values, spaced passwords, positional forms after redirections and continuations, environment, "
        "URL user information, credential headers, query tokens) | %d tunnel lines, %d secret lines | %d | 0 | 0 "
        "| n/a | %s (under-scored tunnels: %s) | `HYPOTHESIS_PROFILE=%s pytest "
        "tests/robustness/test_cmdline_properties.py` |" % (
            FORMS[form]["profile"], (tunnels or {}).get("examples", 0), (secret_lines or {}).get("examples", 0),
            under + leaks, "%d" % leaks if not leaks else "%d (Hypothesis stops at the first)" % leaks,
            "%d" % under if not under else "%d (Hypothesis stops at the first)" % under,
            FORMS[form]["profile"]))
    if worst:
        import benchmark_worst_case  # its target, as it judged each shape
        met = sum(item["met"] for item in worst.values())
        slowest = sorted(worst.items(), key=lambda item: -(item[1]["command_cpu_seconds"] or 0))[:3]
        growths = [item["growth"] for item in worst.values() if item["growth"] == item["growth"]]
        lines.append(
            "| worst-case command lines, %d shapes of %s characters (`scripts/benchmark_worst_case.py`: CPU seconds, "
            "not a test) | %d lines through the command, and the core at a quarter of the size | 0 | 0 | n/a | n/a "
            "| n/a | target (at most %.1f CPU-second through the command) met by %d of %d shapes; slowest: %s; "
            "core growth from a quarter to the full size %.1fx to %.1fx (linear: about 4x). Per shape: "
            "`reports/robustness/worst_case.md`, and docs/benchmark.md |" % (
                len(worst), "{:,}".format(FORMS[form]["worst_case_size"]), len(worst),
                benchmark_worst_case.TARGET_SECONDS, met, len(worst),
                ", ".join("%s %.2f s" % (name, item["command_cpu_seconds"] or 0) for name, item in slowest),
                min(growths or [0]), max(growths or [0])))
    else:
        lines.append("| worst-case command lines (`scripts/benchmark_worst_case.py`) | - | 1 | - | n/a | n/a | n/a "
                     "| did not complete: %s |" % (worst_error or "no figures"))
        problems.append("worst-case command lines: %s" % (worst_error or "no figures"))
    if worst_error and worst:
        problems.append("worst-case command lines: %s" % worst_error)
    if not fuzz:
        problems.append("fuzzer: no summary (atheris missing or fuzz.py failed)")
    oracles = {"cmdline": "never-downgraded `ngrok tcp 22 ...`", "redact": "14 secret spellings",
               "risk_events": "stash breaker and DELIMS / auto / auto_escaped readings",
               "allowlist": "wildcard-only entries refused", "render": "one pass", "modifiers": "valid or refused",
               "options": "accepted or OptionError"}
    for name, item in sorted(fuzz.items()):
        found = len(item["new_findings"]) + (1 if item["exit_code"] and not item["new_findings"] else 0)
        if found:
            problems.append("fuzzer, target %s: %s (exit %d)" % (
                name, ", ".join(item["new_findings"]) or "no artifact", item["exit_code"]))
        lines.append("| fuzzing `%s` (atheris, coverage-guided; oracle: %s) | %d executions in %.0f s | %d | %d | n/a "
                     "| n/a | %s | `scripts/fuzz.py --target %s` |" % (
                         name, oracles.get(name, "never raises"), item["executions"], item["seconds"], found,
                         int(bool(item.get("timed_out"))),
                         ("%d" % found if name == "redact" else "n/a") if name != "cmdline"
                         else "n/a (under-scored tunnels: %d)" % found, name))
    regressions_total, regressions_failed = _count(cases, "test_fuzz_regressions")
    lines.append("| fuzzer findings and seeds replayed | %d inputs | %d | 0 | n/a | n/a | %d "
                 "| `pytest tests/robustness/test_fuzz_regressions.py` |" % (
                     regressions_total, regressions_failed, regressions_failed))
    alert, alert_problems = alert_lines(cases)
    return lines + alert, problems + alert_problems


def write_table(form, command, started_at, load_average, minutes, rows, problems):
    lines = [
        "# Robustness and security campaign: results",
        "",
        "Measured %s on %d CPUs, %s, Python %s, with `%s` (%s form); load average %s when it started; the run took "
        "%.0f minutes." % (started_at, os.cpu_count() or 1, platform.machine(), platform.python_version(), command,
                           form, load_average, minutes),
        "Every row below comes from that one run; `scripts/robustness.py` rewrites this whole file each time (the "
        "long form with 60-second fuzzing per target took 13 to 17 minutes on 2 cores in the runs of 2026-11-29, 17 "
        "with benchmarks running beside it).",
        "",
        "| category | inputs tried | crashes | hangs | rows lost | events lost / duplicated | secrets leaked | reproduce |",
        "|---|---|---|---|---|---|---|---|",
    ] + rows + [
        "",
        "Verdict: %s" % ("**FAILED**: " + "; ".join(problems) if problems else
                         "0 crashes, 0 lost events, 0 leaks, 0 under-scored tunnels."),
        "",
        "Notes:",
        "",
        "- *Crashes* count failed tests or fuzzer findings; *hangs* would show as a test or fuzz run hitting its time "
        "limit (every reply is awaited for at most 60 s; a fuzz input running over 30 s is a finding).",
        "- The alert action cannot tell whether a batch whose reply was lost was indexed: it retries it (a possible "
        "duplicate, counted in its log) or, on the last attempt, reports it as *unconfirmed* and exits 6. A rerun "
        "after a kill sends every event again: the risk events of the killed run's delivered batches appear twice.",
        "- Secrets: the property tests send command lines holding an authtoken in many forms and check that none "
        "comes back in `process`, `parent_process` (any column they arrive in) or `risk_message`; the alert tests "
        "check the risk events and the log; the `redact` fuzz target checks the masking with an oracle.",
        "- Under-scored tunnels: the `cmdline` fuzz target and the hostile command-line properties check that a line "
        "opening a tunnel to port 22 keeps the remote-admin points and never reads as informational.",
        "- The worst-case row measures CPU seconds (a busy machine changes them): it reports its target, it is not "
        "a test and does not fail the run unless a shape crashes.",
    ]
    os.makedirs(os.path.dirname(TABLE), exist_ok=True)
    with open(TABLE, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    print("wrote", os.path.relpath(TABLE, ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="the long form: more examples, 1 MB worst cases")
    parser.add_argument("--fuzz-seconds", type=int, help="fuzzing time per target (default 20; long 60)")
    parser.add_argument("--alert-only", action="store_true",
                        help="run only the alert action's fault injection (%d results) and print its rows "
                             "(docs/robustness.md is only written by a whole run)" % ALERT_ROWS)
    args = parser.parse_args()
    os.makedirs(REPORTS, exist_ok=True)
    for stale in glob.glob(os.path.join(REPORTS, "*.json")) + glob.glob(os.path.join(REPORTS, "*.md")):
        os.remove(stale)
    if args.alert_only:
        code, cases = run_tests("ci", paths=(ALERT_TESTS,))
        lines, problems = alert_lines(cases)
        print("\n".join(lines + problems))
        return 1 if code or problems else 0
    form = "long" if args.long else "short"
    settings = FORMS[form]
    seconds = args.fuzz_seconds or settings["fuzz_seconds"]
    command = "scripts/robustness.py" + (" --long" if args.long else "") + (
        " --fuzz-seconds %d" % args.fuzz_seconds if args.fuzz_seconds else "")
    started_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_average = "%.2f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else "unknown"
    started = time.monotonic()
    print("== 1/3 tests/robustness (Hypothesis %s profile, alert action at %d results)" % (
        settings["profile"], settings["alert_rows"]), flush=True)
    test_code, cases = run_tests(settings["profile"], alert_rows=settings["alert_rows"])
    print("== 2/3 worst-case command lines (%d characters)" % settings["worst_case_size"], flush=True)
    worst, worst_error = run_worst_case(settings["worst_case_size"])
    print("== 3/3 fuzzing, %d s per target" % seconds, flush=True)
    fuzz_code, fuzz = run_fuzzer(seconds)
    rows, problems = table_rows(form, cases, fuzz, worst, worst_error)
    if test_code:
        failing = ["%s::%s" % (module, name) for module, tests in sorted(cases.items())
                   for name, broken in sorted(tests.items()) if broken]
        problems.insert(0, "pytest exit %d, failed: %s" % (test_code, ", ".join(failing) or "see its output"))
    if fuzz_code and not any(problem.startswith("fuzzer") for problem in problems):
        problems.append("fuzz.py exit %d" % fuzz_code)
    minutes = (time.monotonic() - started) / 60
    write_table(form, command, started_at, load_average, minutes, rows, problems)
    print("took %.1f minutes" % minutes)
    for problem in problems:
        print("FAILED:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
