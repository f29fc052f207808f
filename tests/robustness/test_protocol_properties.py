"""Property-based tests of the built command through the real protocol driver.

One command process per option set answers every generated chunk, as splunkd drives one process per search:
arbitrary field names (duplicates, output-field names, unicode, quotes, newlines, `$`), arbitrary values
(control characters, secrets in every form, multivalue), empty rows, missing columns, any number of chunks.
Properties: one reply per request, within the time limit; every row back, in order, every input value unchanged
except the documented masking of secrets in process/parent_process; every output field obeys the contract.
"""

import csv
import io
import json
import os
import select

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ngrokscore_local import CommandSession

from sa_ngrok_detection import detection
from sa_ngrok_detection.fields import ALIASES, decode_mv, encode_mv
from sa_ngrok_detection.redaction import redact, redact_values

OUTPUT_COLUMNS = set(detection.OUTPUT_FIELDS) | {"__mv_" + name for name in detection.OUTPUT_FIELDS}
REDACTED_NAMES = set(ALIASES["process"]) | set(ALIASES["parent_process"])
SECRET = "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2oKqWzV6xE4nMiT"

# Text splunkd can send: anything but NUL and lone surrogates (not encodable as UTF-8).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)
COMMAND_LINES = st.sampled_from([
    "ngrok tcp 22", "/tmp/ngrok tcp 3389 --authtoken " + SECRET, "ngrok config add-authtoken " + SECRET,
    "NGROK_AUTHTOKEN=%s ngrok http 80" % SECRET, "ngrok http 8080 --basic-auth 'u:%s'" % SECRET,
    "nohup ./ngrok tcp 22 --log=stdout &", "ngrok start --all --config /tmp/a.yml", "ngrok version",
    'sh -c "ngrok tcp 22 --authtoken=%s"' % SECRET, "ngrok --AuthToken \"%s\" tcp 22" % SECRET, "",
])
VALUES = st.one_of(TEXT, COMMAND_LINES, st.lists(st.one_of(TEXT, COMMAND_LINES), min_size=2, max_size=4))
NAMES = st.one_of(
    st.sampled_from(["dest", "user", "parent_process_name", "process_name", "process", "parent_process",
                     "Processes.process", "CommandLine", "Processes.dest", "_raw", "_time", "process_path",
                     "risk_score", "allowlisted", "mitre_technique_id", "count", "a$b", 'quo"te', "com,ma",
                     "new\nline", " spaced ", ""]),
    TEXT.filter(lambda name: not name.startswith("__mv_")),
)


@st.composite
def chunks(draw):
    """(header, multivalue flags, rows): a table as splunkd would send it, duplicates and all."""
    header = draw(st.lists(NAMES, min_size=1, max_size=8))
    rows = draw(st.lists(st.lists(VALUES, min_size=len(header), max_size=len(header)), max_size=12))
    return header, rows


def encode(header, rows):
    """The CSV body: a multivalue column gets its __mv_ companion right after it."""
    multivalue = [any(isinstance(row[i], list) for row in rows) for i in range(len(header))]
    columns = []
    for name, is_mv in zip(header, multivalue):
        columns.append(name)
        if is_mv:
            columns.append("__mv_" + name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    cells = []
    for row in rows:
        line = []
        for value, is_mv in zip(row, multivalue):
            if isinstance(value, list):
                line += ["\n".join(value), encode_mv(value)]
            else:
                line += [value] + ([""] if is_mv else [])
        writer.writerow(line)
        cells.append(line)
    return columns, cells, buffer.getvalue().encode("utf-8")


def expected_cell(name, value):
    """What the command must return for one input cell."""
    if name in REDACTED_NAMES:
        return redact(value)
    if name.startswith("__mv_") and name[5:] in REDACTED_NAMES and value:
        return encode_mv(redact_values(decode_mv(value)))  # masked together: a secret may follow in the next value
    return value


REPORTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "reports",
                       "robustness")


class Search(object):
    """One command process, driven chunk by chunk like one search."""

    def __init__(self, args):
        self.chunks = self.rows = self.secrets = 0
        self.session = CommandSession(timeout=60)
        reply, _ = self.session.getinfo(args)
        assert reply["type"] == "streaming"

    def execute(self, body):
        self.chunks += 1
        self.secrets += body.count(SECRET.encode())
        reply, out = self.session.execute(body, False)
        # Exactly one reply: nothing else is waiting on the pipe. No wait for a late one: a second reply would be
        # read as the next chunk's (its rows differ) or as the final reply (finish() requires finished=true).
        assert not self.session._pending
        ready, _, _ = select.select([self.session.process.stdout.fileno()], [], [], 0)
        assert not ready, "the command sent more than one reply"
        return reply, out

    def finish(self):
        reply, out = self.session.execute(b"", True)
        assert reply.get("finished") is True and out == b""
        code = self.session.close()
        self.session.cleanup()
        return code


@pytest.fixture(scope="module", params=[[], ["redact=false", "modifiers=false"], ["on_allowlist=drop",
                                         "message=$dest$ {0} $process$ $risk_score$"]],
                ids=["defaults", "no-redaction", "drop-and-message"])
def search(request):
    running = Search(request.param)
    running.args = request.param
    yield running
    assert running.finish() == 0
    # The figures of this run, for the campaign's results table (scripts/robustness.py).
    os.makedirs(REPORTS, exist_ok=True)
    with open(os.path.join(REPORTS, "properties-%s.json" % request.param_index), "w") as handle:
        json.dump({"options": request.param, "chunks": running.chunks, "rows": running.rows,
                   "secrets_sent": running.secrets}, handle)


@given(tables=st.lists(chunks(), min_size=1, max_size=3))
def test_every_row_comes_back_unchanged_with_a_valid_contract(search, tables):
    redacting = "redact=false" not in search.args
    for header, rows in tables:
        columns, cells, body = encode(header, rows)
        reply, out = search.execute(body)
        search.rows += len(rows)
        assert not [m for m in (reply.get("inspector") or {}).get("messages", []) if m[0] in ("ERROR", "FATAL")]
        parsed = list(csv.reader(io.StringIO(out.decode("utf-8"), newline="")))
        if not rows:
            assert parsed == []
            continue
        out_header, out_rows = parsed[0], parsed[1:]
        assert len(out_rows) == len(rows)  # nothing dropped: the shipped allowlist is empty
        offset = len(out_header) - len(columns)
        assert out_header[offset:] == columns
        for field in detection.OUTPUT_FIELDS:
            assert field in out_header
        position = {name: index for index, name in reversed(list(enumerate(out_header)))}
        for in_row, out_row in zip(cells, out_rows):
            assert len(out_row) == len(out_header)
            for index, (name, value) in enumerate(zip(columns, in_row)):
                if name in OUTPUT_COLUMNS:
                    continue  # an earlier score is replaced: documented
                expected = expected_cell(name, value) if redacting else value
                assert out_row[offset + index] == expected, (name, value)
            score = out_row[position["risk_score"]]
            assert score.isdigit() and 0 <= int(score) <= 100
            assert out_row[position["allowlisted"]] in ("true", "false")
            assert out_row[position["mitre_technique_id"]] == "T1572\nT1090\nT1102"
            assert out_row[position["detection_id"]] == detection.DETECTION_ID
            if redacting:
                assert SECRET not in "".join(out_row[position[f]] for f in ("risk_message",))
                for index, name in enumerate(columns):
                    if name in REDACTED_NAMES or name[5:] in REDACTED_NAMES:
                        assert SECRET not in out_row[offset + index]
