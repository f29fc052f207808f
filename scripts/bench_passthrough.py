#!/usr/bin/env python3
"""The reference "pass-through" for scripts/benchmark.py: a splunklib streaming command that returns every record
unchanged.

It is the cheapest command splunklib can run (distributed, search command protocol v2, per-record reader and
writer), so ngrokscore's cost is measured against the protocol's own cost rather than against zero. It imports
splunklib from the same vendored copy as ngrokscore: the built app folder named by NGROK_BENCH_APP_DIR (default
build/SA-ngrok-detection), so both commands run the same splunklib code and the same compiled bytecode.

Run by the benchmark's protocol driver, like splunkd runs a command: no arguments, protocol on stdin/stdout.

With NGROK_BENCH_LEAN=1 (for information only: the benchmark's targets compare ngrokscore with the plain command) it
ends as bin/ngrokscore.py does, without the interpreter's teardown once the protocol ended normally, so that the
report can show how much of ngrokscore's start-up gain that alone is.
"""

import os
import sys

LEAN = os.environ.get("NGROK_BENCH_LEAN") == "1"

DEFAULT_APP_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build",
                               "SA-ngrok-detection")
APP_DIR = os.environ.get("NGROK_BENCH_APP_DIR") or DEFAULT_APP_DIR
sys.path.insert(0, os.path.join(APP_DIR, "bin", "lib"))

from splunklib.searchcommands import Configuration, StreamingCommand, dispatch  # noqa: E402


@Configuration(distributed=True)
class PassThroughCommand(StreamingCommand):
    """Yields each record as it came."""

    def stream(self, records):
        for record in records:
            yield record


if __name__ == "__main__":
    dispatch(PassThroughCommand, sys.argv, sys.stdin, sys.stdout, __name__)
    if LEAN:
        import logging

        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
