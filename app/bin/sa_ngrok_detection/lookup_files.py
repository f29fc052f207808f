"""Reads the app's CSV lookups, once per process, reporting every problem with file and line.

Lookups are found relative to this file (``<app>/lookups``), which is also where they are on an indexer that runs
the command from the knowledge bundle.
"""

import csv
import os
import re

LOOKUPS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "lookups")

# A plain file name of a CSV lookup: no directories, no traversal, no hidden files.
_PLAIN_CSV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.[cC][sS][vV]")

csv.field_size_limit(64 * 1024 * 1024)


def is_plain_csv_name(name):
    return bool(_PLAIN_CSV_NAME.fullmatch(name)) and ".." not in name


class Problem(Exception):
    """A problem with a lookup file that stops it being read at all."""


def read_rows(file_name, required_columns, lookups_dir=None):
    """Yields ``(line_number, {column: value})`` for each data row of a lookup CSV.

    Raises Problem (with a message that names the file and what is wrong) when the file cannot be read or its
    header lacks a required column. A row with the wrong number of fields is yielded with the key ``None`` mapped to
    the problem text, so the caller can report it and go on.
    """
    path = os.path.join(lookups_dir or LOOKUPS_DIR, file_name)
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise Problem("%s: cannot be read from the app's lookups folder (%s)" % (file_name, error.strerror))
    with handle:
        reader = csv.reader(_text_lines(handle, file_name), strict=True)
        try:
            header = next(reader, None)
            while header is not None and not any(column.strip() for column in header):
                header = next(reader, None)  # blank lines before the header
            if header is None:
                raise Problem("%s: the file is empty; expected a header line with %s"
                              % (file_name, ", ".join(required_columns)))
            header = [column.strip().lower() for column in header]
            missing = [column for column in required_columns if column not in header]
            if missing:
                raise Problem("%s line %d: the header lacks column(s) %s"
                              % (file_name, reader.line_num, ", ".join(missing)))
            for values in reader:
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                row = dict(zip(header, values))
                if len(values) != len(header):
                    row[None] = "has %d fields where the header has %d" % (len(values), len(header))
                yield reader.line_num, row
        except csv.Error as error:
            raise Problem("%s line %d: malformed CSV (%s); this line and the rest of the file were not read"
                          % (file_name, reader.line_num, error))


def _text_lines(binary_lines, file_name):
    """Decodes a lookup line by line, so that a problem is reported on the line where it is.

    UTF-8 with or without a byte order mark. NUL characters are refused everywhere (Python 3.9's csv refuses
    them, 3.11's keeps them).
    """
    for number, raw in enumerate(binary_lines, 1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise Problem("%s line %d: not valid UTF-8 text; this line and the rest of the file were not read"
                          % (file_name, number))
        if "\0" in line:
            raise Problem("%s line %d: malformed CSV (NUL character); this line and the rest of the file were not "
                          "read" % (file_name, number))
        yield line


def parse_bool(text):
    """Splunk's boolean spellings; None when ``text`` is none of them."""
    return _BOOLEANS.get(text.strip().lower())


_BOOLEANS = {"1": True, "t": True, "true": True, "y": True, "yes": True, "on": True,
             "0": False, "f": False, "false": False, "n": False, "no": False, "off": False}
