"""Unit tests for sa_ngrok_detection.csv_nul: the reversible NUL escape for Python's csv module before 3.11."""

import csv
import io

from hypothesis import given, settings, strategies as st

from sa_ngrok_detection import csv_nul
from sa_ngrok_detection.csv_nul import ESCAPE, ESCAPED_ESCAPE, escape, unescape, unescaped_rows

_TRICKY = st.text(st.sampled_from(["\x00", ESCAPE, ESCAPED_ESCAPE, "a", ",", '"', "\n", "\ue002"]), max_size=40)


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(_TRICKY, st.text(max_size=40)))
def test_escape_is_reversed_exactly_whatever_the_text_holds(text):
    escaped = escape(text)
    assert "\x00" not in escaped
    assert unescape(escaped) == text


def test_a_text_holding_every_private_use_character_and_nul():
    text = "".join(chr(code) for code in range(0xE000, 0xF900)) + "\x00"
    assert unescape(escape(text)) == text


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(st.lists(_TRICKY, min_size=1, max_size=4), min_size=1, max_size=5))
def test_escaped_csv_reads_back_the_cells(rows):
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([escape(cell) for cell in row])  # written escaped: works on every Python
    read = list(unescaped_rows(csv.reader(io.StringIO(buffer.getvalue()))))
    assert read == rows


def test_the_probes_match_this_python():
    import sys
    assert csv_nul.READER_HANDLES_NUL == (sys.version_info >= (3, 11))
