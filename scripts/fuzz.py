#!/usr/bin/env python3
"""Coverage-guided fuzzing of the pure core with atheris, for a bounded time per target.

    .venv/bin/python scripts/fuzz.py --seconds 60            # every target, 60 s each
    .venv/bin/python scripts/fuzz.py --target redact --seconds 600

Each target runs in its own process (libFuzzer does not return). A crashing input is saved to
tests/robustness/fuzz_regressions/<target>-crash-<hash>, where the test suite replays it from then on.
Prints one line per target: executions, and whether it found anything. Needs atheris (make fuzz installs it).
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(SCRIPTS)
REGRESSIONS = os.path.join(ROOT, "tests", "robustness", "fuzz_regressions")
INPUT_TIMEOUT = 30  # seconds one input may take before libFuzzer reports it as a hang
GRACE = 300  # seconds a child may run past its time (start-up, the last input, the report) before it is killed


def fuzz_one(name, seconds):
    """Runs inside the child: instrument the package, then fuzz one target until the time is up."""
    import atheris

    with atheris.instrument_imports():
        import fuzz_targets
    target = fuzz_targets.TARGETS[name]
    prefix = os.path.join(REGRESSIONS, name + "-")
    # -timeout: one input running over INPUT_TIMEOUT seconds is a finding (a hang), saved like a crash.
    atheris.Setup([sys.argv[0], "-max_total_time=%d" % seconds, "-artifact_prefix=" + prefix,
                   "-print_final_stats=1", "-rss_limit_mb=2048", "-timeout=%d" % INPUT_TIMEOUT], target)
    atheris.Fuzz()


def run_all(targets, seconds):
    os.makedirs(REGRESSIONS, exist_ok=True)
    summary = {}
    for name in targets:
        before = set(glob.glob(os.path.join(REGRESSIONS, name + "-*")))
        started = time.monotonic()
        try:
            child = subprocess.run([sys.executable, __file__, "--child", name, "--seconds", str(seconds)],
                                   capture_output=True, text=True, cwd=SCRIPTS, timeout=seconds + GRACE)
            output, returncode, killed = child.stdout + child.stderr, child.returncode, False
        except subprocess.TimeoutExpired as expired:
            output = "".join(part.decode("utf-8", "replace") if isinstance(part, bytes) else (part or "")
                             for part in (expired.stdout, expired.stderr))
            returncode, killed = -9, True
        runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", output)
        found = sorted(set(glob.glob(os.path.join(REGRESSIONS, name + "-*"))) - before)
        executions = re.findall(r"#(\d+)\s+(?:pulse|NEW|REDUCE|DONE|INITED)", output)
        summary[name] = {"seconds": round(time.monotonic() - started, 1),
                         "executions": int(runs[-1]) if runs else int(executions[-1]) if executions else 0,
                         "exit_code": returncode, "new_findings": [os.path.basename(p) for p in found],
                         "timed_out": killed or any("-timeout-" in os.path.basename(p) for p in found)}
        print("%-11s %8d executions in %5.1f s, exit %d, findings: %s%s" % (
            name, summary[name]["executions"], summary[name]["seconds"], returncode,
            ", ".join(summary[name]["new_findings"]) or "none", " (killed: ran past its time)" if killed else ""),
            flush=True)
        if returncode and not found:
            print(output[-3000:])
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", help="one target (repeatable); default all")
    parser.add_argument("--seconds", type=int, default=60, help="time per target (default %(default)s)")
    parser.add_argument("--json", metavar="PATH", help="write the summary as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, SCRIPTS)
        fuzz_one(args.child, args.seconds)
        return 0
    sys.path.insert(0, SCRIPTS)
    import fuzz_targets
    summary = run_all(args.target or list(fuzz_targets.TARGETS), args.seconds)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(summary, handle, indent=2)
    return 1 if any(item["new_findings"] or item["exit_code"] for item in summary.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
