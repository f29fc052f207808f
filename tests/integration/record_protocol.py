"""Records the conversation between splunkd and ngrokscore (search command protocol v2), for tests only.

Installed by the integration suite into its container's copy of the app as bin/record_ngrokscore.py, with
local/commands.conf declaring a second command, ``ngrokscorerecorded``, that runs it with every other key of
[ngrokscore] (chunked, python.*); never into the source tree or a package, and ngrokscore itself is left as built.
splunkd starts this script exactly as it starts ngrokscore; it runs the real bin/ngrokscore.py as a child under the
same interpreter (sys.executable) and passes every byte through unchanged, copying what splunkd sent to
``ngrokscore-<pid>.input`` and what the command answered to ``ngrokscore-<pid>.output`` in the search's dispatch
directory (searchinfo.dispatch_dir of the first request, else the working directory, which splunkd sets to it),
and which Python ran it to ``ngrokscore-<pid>.python`` (JSON: version, executable).
The transcripts hold the session key splunkd passes: they stay in the container, or in the suite's memory.

Standard library only: it runs under whichever Python splunkd picks for the stanza's python.* keys.
"""

import json
import os
import re
import subprocess
import sys
import threading

COMMAND = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ngrokscore.py")
_HEADER = re.compile(rb"chunked 1\.0,(\d+),(\d+)\n")


def dispatch_dir_of(received):
    """The dispatch directory named by the first request, None while it has not fully arrived, or the working
    directory when the request does not name one."""
    match = _HEADER.match(received)
    if match is None:
        return None if b"\n" not in received else os.getcwd()
    end = match.end() + int(match.group(1))
    if len(received) < end:
        return None
    try:
        metadata = json.loads(received[match.end():end].decode("utf-8"))
        return (metadata.get("searchinfo") or {}).get("dispatch_dir") or os.getcwd()
    except (ValueError, AttributeError):
        return os.getcwd()


def write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def pump(source_fd, target_fd, transcript_fd):
    """Copies source to target and the transcript until source ends or target closes."""
    while True:
        data = os.read(source_fd, 1 << 16)
        if not data:
            return
        write_all(transcript_fd, data)
        try:
            write_all(target_fd, data)
        except BrokenPipeError:
            return


def main():
    child = subprocess.Popen([sys.executable, COMMAND], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    received = b""
    directory = None
    while directory is None:
        data = os.read(0, 1 << 16)
        received += data
        directory = dispatch_dir_of(received) if data else os.getcwd()
    prefix = os.path.join(directory, "ngrokscore-%d" % os.getpid())
    with open(prefix + ".python", "w") as handle:
        json.dump({"version": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable}, handle)
    # Plain descriptors, closed when this process ends: each chunk is on disk as soon as it passes.
    requests = os.open(prefix + ".input", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    replies = os.open(prefix + ".output", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    write_all(requests, received)

    def forward_requests():
        try:
            write_all(child.stdin.fileno(), received)
            pump(0, child.stdin.fileno(), requests)
            child.stdin.close()  # splunkd closed our input: the command sees the end of its own
        except BrokenPipeError:
            pass  # the command already exited

    # splunkd may keep our input open until we exit, so it is copied in a daemon thread; the conversation is over
    # when the command closes its output.
    threading.Thread(target=forward_requests, daemon=True).start()
    pump(child.stdout.fileno(), 1, replies)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
