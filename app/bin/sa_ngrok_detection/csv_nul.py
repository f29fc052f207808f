"""NUL characters in a chunk, whatever the Python: a reversible escape instead of a stand-in character.

Python's csv module reads NUL only from 3.11 on (Splunk 9.x runs 3.9, whose reader refuses a line holding NUL and
whose writer writes it; 3.10 refuses both). Where the reader refuses it, the chunk is escaped before it is read:
ESCAPE becomes ESCAPE + ESCAPED_ESCAPE and NUL becomes ESCAPE + ESCAPE, so every ESCAPE in the escaped text starts a
pair and the text comes back exactly, whatever characters the chunk holds (a single stand-in character would
need one the chunk does not hold, and a chunk can hold them all). Neither character is special to CSV.
"""

import csv
import io
import re

ESCAPE = "\ue000"
ESCAPED_ESCAPE = "\ue001"
_PAIR = re.compile(ESCAPE + "([" + ESCAPE + ESCAPED_ESCAPE + "])")


def _handles_nul(use):
    try:
        use()
        return True
    except csv.Error:
        return False


READER_HANDLES_NUL = _handles_nul(lambda: list(csv.reader(io.StringIO("a\0b\r\n"))))
WRITER_HANDLES_NUL = _handles_nul(lambda: csv.writer(io.StringIO()).writerow(["a\0b"]))


def escape(text):
    return text.replace(ESCAPE, ESCAPE + ESCAPED_ESCAPE).replace("\0", ESCAPE + ESCAPE)


def _unpair(match):
    return "\0" if match.group(1) == ESCAPE else ESCAPE


def unescape(text):
    return _PAIR.sub(_unpair, text) if ESCAPE in text else text


def unescaped_rows(rows):
    """Rows of cells read from escaped text, with each cell's text given back."""
    for row in rows:
        yield [unescape(cell) for cell in row]
