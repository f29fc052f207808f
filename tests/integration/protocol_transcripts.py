"""Recorded splunkd-to-ngrokscore conversations (search command protocol v2) and where they are kept.

A transcript is the pair of byte streams record_protocol.py captured: ``<name>.input`` (what splunkd sent) and
``<name>.output`` (what the command answered), each a sequence of ``chunked 1.0,<metadata>,<body>\\n`` messages.
They are kept under tests/protocol/transcripts/<case>/, with the case's search in case.json.
"""

import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRANSCRIPTS_DIR = os.path.join(ROOT, "tests", "protocol", "transcripts")
REDACTED = "<removed by the integration suite>"
_HEADER = re.compile(rb"chunked 1\.0,(\d+),(\d+)\n")


def split(data):
    """The messages of a stream: [(metadata bytes, body bytes)]."""
    messages, offset = [], 0
    while offset < len(data):
        match = _HEADER.match(data, offset)
        if match is None:
            raise ValueError("no message header at byte %d: %r" % (offset, data[offset:offset + 40]))
        metadata_end = match.end() + int(match.group(1))
        body_end = metadata_end + int(match.group(2))
        if body_end > len(data):
            raise ValueError("the message at byte %d is cut short" % offset)
        messages.append((data[match.end():metadata_end], data[metadata_end:body_end]))
        offset = body_end
    return messages


def join(messages):
    return b"".join(b"chunked 1.0,%d,%d\n" % (len(metadata), len(body)) + metadata + body
                    for metadata, body in messages)


def without_session_key(data):
    """The stream with searchinfo.session_key replaced; every other message is kept byte for byte."""
    messages = []
    for metadata, body in split(data):
        parsed = json.loads(metadata)
        searchinfo = parsed.get("searchinfo") if isinstance(parsed, dict) else None
        if isinstance(searchinfo, dict) and searchinfo.get("session_key"):
            searchinfo["session_key"] = REDACTED
            metadata = json.dumps(parsed).encode("utf-8")
        messages.append((metadata, body))
    return join(messages)


def recorded():
    """[(case, transcript path without suffix)] of every complete transcript, in name order."""
    found = []
    if os.path.isdir(TRANSCRIPTS_DIR):
        for case in sorted(os.listdir(TRANSCRIPTS_DIR)):
            folder = os.path.join(TRANSCRIPTS_DIR, case)
            if os.path.isdir(folder):
                for name in sorted(os.listdir(folder)):
                    stem = os.path.join(folder, name[:-len(".input")])
                    if name.endswith(".input") and os.path.exists(stem + ".output"):
                        found.append((case, stem))
    return found
