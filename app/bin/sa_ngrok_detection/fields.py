"""Finds the detection's fields in a result table, whatever shape the search gave it.

Results of the detection's ``tstats`` search carry CIM names (``dest``, ``process``); rows taken before
``drop_dm_object_name`` carry ``Processes.dest``; raw Sysmon for Linux events carry ``Computer``, ``CommandLine``,
``Image``. The first column present wins. ``process_name`` and ``parent_process_name`` fall back to the base name
of the image path (``process_path``, ``parent_process_path``), and ``parent_process_name`` then to the program of the
parent's command line (``parent_process``), when the name is absent or a placeholder: the detection's tstats fills
missing fields with ``null`` (``fillnull_value=null``), and EDR data has ``unknown``, ``-`` or ``N/A``.

Values come in Splunk's CSV encoding: a multivalue field ``f`` has its values joined by newlines in ``f`` and
``$v1$;$v2$`` in ``__mv_f``.
"""

import re

from .identity import is_identity

ALIASES = {
    "dest": ("dest", "Processes.dest", "Computer", "host"),
    "user": ("user", "Processes.user", "User"),
    "parent_process_name": ("parent_process_name", "Processes.parent_process_name"),
    "parent_process": ("parent_process", "Processes.parent_process", "ParentCommandLine"),
    "parent_process_path": ("parent_process_path", "Processes.parent_process_path", "ParentImage"),
    "process_name": ("process_name", "Processes.process_name"),
    "process": ("process", "Processes.process", "CommandLine"),
    "process_path": ("process_path", "Processes.process_path", "Image"),
    "original_file_name": ("original_file_name", "Processes.original_file_name", "OriginalFileName"),
    "process_id": ("process_id", "Processes.process_id", "ProcessId"),
    "parent_process_id": ("parent_process_id", "Processes.parent_process_id", "ParentProcessId"),
    "process_guid": ("process_guid", "Processes.process_guid", "ProcessGuid"),
    "parent_process_guid": ("parent_process_guid", "Processes.parent_process_guid", "ParentProcessGuid"),
}
# A missing name is read from the base name of this path field.
NAME_FROM_PATH = {"process_name": "process_path", "parent_process_name": "parent_process_path"}
# ... and, failing that, from the program (first word) of this command-line field.
NAME_FROM_COMMAND_LINE = {"parent_process_name": "parent_process"}

# Fields whose secrets are masked in the output, in every column they may arrive in.
REDACTED_FIELDS = ("process", "parent_process")

_MV_ITEM = re.compile(r"\$((?:\$\$|[^$])*)\$(?:;|$)")


def decode_mv(encoded):
    """``$a$;$b$$c$`` -> ["a", "b$c"]."""
    return [item.replace("$$", "$") for item in _MV_ITEM.findall(encoded)]


def encode_mv(values):
    """The ``__mv_`` column for a list of values: empty unless there are two or more."""
    if len(values) < 2:
        return ""
    return "$" + "$;$".join(value.replace("$", "$$") for value in values) + "$"


def basename(path):
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def is_placeholder(value):
    """A value that stands for "no value" (empty, null, unknown, -, N/A): the same set identity.is_identity refuses."""
    return not is_identity(value)


def program_name(command_line):
    """The base name of a command line's program: ``/usr/bin/python3 -c x`` -> ``python3``."""
    text = command_line.strip()
    if text[:1] in ("'", '"'):
        end = text.find(text[0], 1)
        program = text[1:end] if end > 0 else text[1:]
    else:
        words = text.split(None, 1)
        program = words[0] if words else ""
    return basename(program)


class Schema(object):
    """Column positions of one table header."""

    def __init__(self, header):
        self.header = list(header)
        self.position = {}
        for index, name in enumerate(self.header):
            self.position.setdefault(name, index)

    def columns_of(self, field):
        """All columns (value, mv) that may hold ``field``, first choice first."""
        found = []
        for name in ALIASES.get(field, (field,)):
            if name in self.position:
                found.append((self.position[name], self.position.get("__mv_" + name)))
        return found
