#!/usr/bin/env python3
"""The reference "pass-through" for scripts/benchmark.py: a splunklib streaming command that returns every record
unchanged.

It is the cheapest command splunklib can run (distributed, search command protocol v2, per-record reader and
writer), so ngrokscore's cost is measured against the protocol's own cost rather than against zero. It imports
splunklib from the same vendored copy as ngrokscore: the built app folder named by NGROK_BENCH_APP_DIR (default
build/SA-ngrok-detection), so both commands run the same splunklib code and the same compiled bytecode.

Run by the benchmark's protocol driver, like splunkd runs a command: no arguments, protocol on stdin/stdout.
"""

import os
import sys

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
