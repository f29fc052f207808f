"""Reads the app's CSV lookups, once per process, reporting every problem with file and line.

Lookups are found relative to this file (``<app>/lookups``), which is also where they are on an indexer that runs
the command from the knowledge bundle.

Which files: the package ships only files admins never edit (the modifier defaults, the allowlist example); the
admin's own files (ADMIN_FILES) are never in the package, so that no install path can overwrite them (see
docs/upgrades.md). They are created from Splunk Web (the Allowlist dashboard's outputlookup, or the lookup editor)
and an absent one reads as empty.
"""

import csv
import io
import os
import re

from . import detection

LOOKUPS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "lookups")

# The admin's files: never shipped, absent until an admin first saves an entry.
ALLOWLIST_FILE = detection.DEFAULT_ALLOWLIST
MODIFIER_OVERRIDES_FILE = detection.MODIFIERS_LOOKUP
ADMIN_FILES = (ALLOWLIST_FILE, MODIFIER_OVERRIDES_FILE)

# The shipped modifier defaults. The name carries the first 8 hex digits of the file's SHA-256 (a test holds them
# together): where an upgrade keeps the lookup files already installed (the SHC deployer's default
# deployer_lookups_push_mode = always_preserve, Splunk Cloud), changed defaults must arrive as a new file, or the
# old ones would stay in use. Rename the file and its transforms.conf stanza's filename together.
MODIFIER_DEFAULTS_FILE = "ngrok_risk_modifiers_default_2bbd984b.csv"

# A plain file name of a CSV lookup: no directories, no traversal, no hidden files.
_PLAIN_CSV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.[cC][sS][vV]")

csv.field_size_limit(64 * 1024 * 1024)


def is_plain_csv_name(name):
    return bool(_PLAIN_CSV_NAME.fullmatch(name)) and ".." not in name


class Problem(Exception):
    """A problem with a lookup file that stops it being read at all."""


def path_of(file_name, lookups_dir=None):
    return os.path.join(lookups_dir or LOOKUPS_DIR, file_name)


def read_file(file_name, lookups_dir=None):
    """The bytes of a lookup file, or None for an absent admin file (ADMIN_FILES: no admin entries yet is the state
    of every new install); raises Problem when any other file cannot be read."""
    path = path_of(file_name, lookups_dir)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        if isinstance(error, FileNotFoundError) and file_name in ADMIN_FILES:
            return None
        raise Problem("%s: cannot be read from the app's lookups folder (%s)" % (file_name, error.strerror))


def read_rows(file_name, required_columns, lookups_dir=None, data=None):
    """Yields ``(line_number, {column: value})`` for each data row of a lookup CSV (``data``: its bytes, when the
    caller has read them already).

    Raises Problem (with a message that names the file, the line and what is wrong) when the file cannot be read,
    its header lacks a required column, or a line is not valid UTF-8 or CSV; rows before that line have been
    yielded by then. A row with the wrong number of fields is yielded with the key ``None`` mapped to the problem
    text, so the caller can report it and go on.

    An absent admin file (ADMIN_FILES) yields no rows: no admin entries yet is the state of every new install.
    """
    if data is None:
        data = read_file(file_name, lookups_dir)
        if data is None:
            return
    text, stop = _decode(data, file_name)
    if "\r" in text and "\n" not in text:
        # Old Mac OS line endings: the whole file would read as one line, a header and no entries.
        raise Problem("%s: its lines end with a carriage return alone (CR, old Mac OS style), so it reads as one "
                      "line and no row was used; save it with LF or CRLF line endings" % file_name)
    records = _records(text, file_name)
    header = None
    for line, values in records:
        if any(column.strip() for column in values):  # blank lines before the header are skipped
            header = [column.strip().lower() for column in values]
            break
    if header is None:
        raise stop or Problem("%s: the file is empty; expected a header line with %s"
                              % (file_name, ", ".join(required_columns)))
    missing = [column for column in required_columns if column not in header]
    if missing:
        raise Problem("%s line %d: the header lacks column(s) %s" % (file_name, line, ", ".join(missing)))
    width = len(header)
    for line, values in records:
        if len(values) != width:
            if not values or (len(values) == 1 and not values[0].strip()):
                continue
            row = dict(zip(header, values))
            row[None] = "has %d fields where the header has %d" % (len(values), width)
        else:
            row = dict(zip(header, values))
        yield line, row
    if stop is not None:
        raise stop


def _decode(data, file_name):
    """(text, Problem or None): the file's text up to the first line that is not UTF-8 or holds a NUL character.

    NUL characters are refused everywhere (Python 3.9's csv refuses them, 3.11's keeps them).
    """
    try:
        text = data.decode("utf-8-sig")
        problem_at = text.find("\0")
        if problem_at < 0:
            return text, None
        what, line = "malformed CSV (NUL character)", text.count("\n", 0, problem_at) + 1
        text = text[:text.rfind("\n", 0, problem_at) + 1]
    except UnicodeDecodeError as error:
        what, line = "not valid UTF-8 text", data.count(b"\n", 0, error.start) + 1
        text = data[:data.rfind(b"\n", 0, error.start) + 1].decode("utf-8-sig")
    return text, Problem("%s line %d: %s; this line and the rest of the file were not read"
                         % (file_name, line, what))


def _records(text, file_name):
    """Yields (line number, values). Files without quotes (the usual lookup) are split directly, many times faster
    than the csv module; quoted files, and files with a carriage return that does not end a line (the csv module
    ends a record there), go through csv, which numbers a multi-line record by its last line."""
    if '"' not in text and "\r" not in text.replace("\r\n", ""):
        for number, line in enumerate(text.split("\n"), 1):
            yield number, line.rstrip("\r").split(",") if line.strip() else []
        return
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for values in reader:
            yield reader.line_num, values
    except csv.Error as error:
        raise Problem("%s line %d: malformed CSV (%s); this line and the rest of the file were not read"
                      % (file_name, reader.line_num, error))


def parse_bool(text):
    """Splunk's boolean spellings; None when ``text`` is none of them."""
    return _BOOLEANS.get(text.strip().lower())


_BOOLEANS = {"1": True, "t": True, "true": True, "y": True, "yes": True, "on": True,
             "0": False, "f": False, "false": False, "n": False, "no": False, "off": False}
