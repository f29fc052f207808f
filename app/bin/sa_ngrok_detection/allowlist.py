"""The allowlist: known, approved ngrok use that admins record in ``lookups/ngrok_allowlist.csv``.

Each entry has case-insensitive ``*`` patterns for ``dest``, ``user``, ``parent_process_name`` and ``process``
(empty means any), a required ``reason``, an optional ``owner`` and an optional ``expires`` date (YYYY-MM-DD, the
last day the entry applies). An entry matches a row when every non-empty pattern matches.

A broken allowlist must never silence the detection: entries that could match everything, lack a reason or carry a
bad date are refused and reported; the rest keep working. Entries are indexed by their literal patterns, so a row is
compared only with the entries that could match it, not with the whole list.
"""

import datetime
import re

from .lookup_files import Problem, read_rows
from .wildcard import Pattern

PATTERN_FIELDS = ("dest", "user", "parent_process_name", "process")
REQUIRED_COLUMNS = PATTERN_FIELDS + ("reason",)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Entry(object):
    __slots__ = ("line", "patterns", "reason", "owner")

    def __init__(self, line, patterns, reason, owner):
        self.line = line
        self.patterns = patterns  # tuple of (field, Pattern) for the non-empty patterns
        self.reason = reason
        self.owner = owner

    def matches(self, lowered_values_of):
        for field, pattern in self.patterns:
            if not any(pattern.matches(value) for value in lowered_values_of(field)):
                return False
        return True


class Allowlist(object):
    """Loaded entries plus what went wrong while loading them."""

    def __init__(self, file_name, entries=(), errors=(), expired_lines=()):
        self.file_name = file_name
        self.entries = list(entries)
        self.errors = list(errors)
        self.expired_lines = list(expired_lines)
        self._by_literal = {}  # (field, lowered literal) -> entries whose index pattern is that literal
        self._unindexed = []  # entries with wildcards only: compared with every row
        for entry in self.entries:
            literal = next(((field, p.literal) for field, p in entry.patterns if p.literal is not None), None)
            if literal is None:
                self._unindexed.append(entry)
            else:
                self._by_literal.setdefault(literal, []).append(entry)
        self.indexed_fields = tuple(sorted({field for field, _ in self._by_literal}))
        self.unindexed = tuple(self._unindexed)

    @property
    def warnings(self):
        if not self.expired_lines:
            return []
        lines = ", ".join(str(line) for line in self.expired_lines[:10])
        more = " and %d more" % (len(self.expired_lines) - 10) if len(self.expired_lines) > 10 else ""
        return ["%s: %d expired entr%s ignored (line%s %s%s); renew or remove them"
                % (self.file_name, len(self.expired_lines), "y" if len(self.expired_lines) == 1 else "ies",
                   "" if len(self.expired_lines) == 1 else "s", lines, more)]

    def candidates(self, lowered_values_of):
        """The entries that could match the row, in file order: those indexed under one of its values, plus the
        wildcard-only ones. ``lowered_values_of(field)`` returns the row's lowercased values of a field."""
        found = []
        for field in self.indexed_fields:
            for value in lowered_values_of(field):
                found.extend(self.indexed_under(field, value))
        return self.in_file_order(found)

    def indexed_under(self, field, lowered_value):
        """The entries indexed under one literal value of one field."""
        return self._by_literal.get((field, lowered_value), ())

    def in_file_order(self, indexed):
        """Indexed candidates plus the wildcard-only entries, sorted by line."""
        found = list(indexed) + self._unindexed
        if len(found) > 1:
            found.sort(key=_line_of)
        return found

    def first_match(self, candidates, lowered_values_of):
        for entry in candidates:
            if entry.matches(lowered_values_of):
                return entry
        return None

    def match(self, lowered_values_of):
        """The first entry (in file order) matching the row, or None."""
        if not self.entries:
            return None
        return self.first_match(self.candidates(lowered_values_of), lowered_values_of)


def _line_of(entry):
    return entry.line


def _parse_date(text):
    """YYYY-MM-DD as a date, or None."""
    if not _DATE.match(text):
        return None
    try:
        return datetime.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return None


def load(file_name, today=None, lookups_dir=None):
    """Reads an allowlist lookup. Never raises: problems end up in ``Allowlist.errors``."""
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    entries, errors, expired = [], [], []
    try:
        for line, row in read_rows(file_name, REQUIRED_COLUMNS, lookups_dir):
            problem = row.get(None)
            patterns = []
            if problem is None:
                for field in PATTERN_FIELDS:
                    text = row[field].strip()
                    if text and text.strip("*"):
                        patterns.append((field, Pattern(text)))
                if not patterns:
                    problem = ("every pattern (dest, user, parent_process_name, process) is empty or '*', so it "
                               "would allowlist everything")
            reason = row.get("reason", "").strip()
            if problem is None and not reason:
                problem = "the reason is empty; every entry must say why it is allowed"
            expires = row.get("expires", "").strip()
            if problem is None and expires:
                last_day = _parse_date(expires)
                if last_day is None:
                    problem = "expires %r is not a date in YYYY-MM-DD form" % expires
                elif last_day < today:
                    expired.append(line)
                    continue
            if problem is not None:
                errors.append("%s line %d: %s; entry ignored" % (file_name, line, problem))
                continue
            entries.append(Entry(line, tuple(patterns), reason, row.get("owner", "").strip()))
    except Problem as problem:
        errors.append(str(problem) + ("; entries read before it still apply" if entries else ""))
    return Allowlist(file_name, entries, errors, expired)
