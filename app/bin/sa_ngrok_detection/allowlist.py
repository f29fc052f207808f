"""The allowlist: known, approved ngrok use that admins record in ``lookups/ngrok_allowlist.csv``.

Each entry has case-insensitive ``*`` patterns for ``dest``, ``user``, ``parent_process_name`` and ``process``
(empty means any), a required ``reason``, an optional ``owner`` and an optional ``expires`` date (YYYY-MM-DD, the
last day the entry applies). An entry matches a row when every non-empty pattern matches; the first matching entry
in file order wins. Case-insensitive means ASCII letters only (see wildcard.py for why).

A broken allowlist must never silence the detection: entries that could match everything (every pattern empty or
made only of ``*`` and spaces), lack a reason or carry a bad date are refused and reported; the rest keep working.

Matching never scans the list. Each entry is indexed under one key of one of its patterns, the key shared by the
fewest other entries: the whole value of a pattern without ``*`` (``web-01``), the literal text before the first
``*`` (``lab-*``), after the last ``*`` (``*.corp.example``), or a short fragment of the literal text between stars
(``*ngrok http 3000*``). A value is looked up by its whole text, by each of its prefixes and suffixes of an indexed
length, and by its fragments of an indexed length, so the work per value depends on the value and the few key
lengths in use, never on the number of entries. Only the entries found that way are compared with the row.

The built index is plain data (dicts, tuples, strings, ints), so index_cache.py can persist it, keyed by the
file's content, and later searches load it instead of parsing and indexing the file again.
"""

import datetime
import re
from array import array
from operator import itemgetter

from . import index_cache
from .lookup_files import Problem, path_of, read_file, read_rows
from .wildcard import Pattern, ascii_lower, is_only_wildcards_and_spaces

PATTERN_FIELDS = ("dest", "user", "parent_process_name", "process")
REQUIRED_COLUMNS = PATTERN_FIELDS + ("reason",)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

FRAGMENT = 4  # length of the fragments that patterns with a leading and a trailing star are indexed by
_FEW_FRAGMENTS = 32  # up to this many fragments of one length, a value is searched for each of them
# When two keys are shared by as many entries: the field whose values vary most in detection results first (a key
# on a parent such as sshd makes its entry a candidate for a large share of the rows), then the kind, best first.
_FIELD_RANK = {"dest": 0, "process": 1, "user": 2, "parent_process_name": 3}
# Index kinds, best first when two keys are shared by as many entries.
_EXACT, _PREFIX, _SUFFIX, _SAMPLED, _FRAGMENT = 0, 1, 2, 3, 4
# A literal part between stars of at least FRAGMENT + _STEP - 1 characters is indexed under _STEP consecutive
# fragments of it (a "sampled" key): wherever the part occurs in a value, one of those fragments starts at a
# position that is a multiple of _STEP, so a value is cut into fragments at those positions only. Shorter parts
# are indexed under a fragment at any position ("dense": every position of a value is cut).
_STEP = 2


def _standard_length(length):
    """The length a prefix or suffix key is cut to: the length itself up to 8, then four lengths per doubling
    (10, 12, 14, 16, 20, 24, ...). A value is then cut at a few lengths, not at every length some pattern has."""
    if length <= 8:
        return length
    power = 1 << (length.bit_length() - 1)
    step = power // 4
    return power + (length - power) // step * step


class Entry(object):
    __slots__ = ("line", "patterns", "reason", "owner")

    def __init__(self, line, patterns, reason, owner):
        self.line = line
        self.patterns = patterns  # tuple of (field, Pattern) for the non-empty patterns
        self.reason = reason
        self.owner = owner

    def pattern(self, field):
        for name, pattern in self.patterns:
            if name == field:
                return pattern
        return None

    def matches(self, lowered_values_of):
        for field, pattern in self.patterns:
            if not any(pattern.matches(value) for value in lowered_values_of(field)):
                return False
        return True


class _FieldIndex(object):
    """The keys of the entries indexed under one field, in one table: whole values, prefixes, suffixes and fragments
    of every length, each key mapping to entry numbers (a number, or a tuple when several entries share it).

    A value is looked up by cutting, with one itemgetter over ready-made slices (in C), its whole text, its prefixes
    and suffixes of every indexed length and its fragments of every indexed fragment length at every position, and
    intersecting those cuts with the table's keys (in C). The cuts are the same for every value of about the same
    length (lengths are rounded up, so a field has a few getters), and may cut more than the value has: a prefix or
    suffix longer than the value is the whole value, a fragment past its end is shorter. One table for every kind
    also means a cut of one kind can find a key of another (a fragment equal to a prefix key). Such extra keys can
    only add candidates, and every candidate is compared with its pattern, so they never change a decision; what
    must never be missing is a cut, and the getters cut every length and position the value has.

    Fragment lengths with few keys (at most _FEW_FRAGMENTS) stay in tables of their own, searched key by key with
    ``in`` (in C), which costs less than a cut per position.
    """

    __slots__ = ("keys", "prefix_lengths", "suffix_lengths", "fragment_lengths", "sampled_lengths", "few_fragments",
                 "_getters")

    def __init__(self, keys, prefix_lengths, suffix_lengths, fragment_lengths, sampled_lengths, few_fragments):
        self.keys = keys  # {whole value, prefix, suffix or fragment: entry numbers}
        self.prefix_lengths = prefix_lengths  # ascending
        self.suffix_lengths = suffix_lengths
        self.fragment_lengths = fragment_lengths  # of the dense fragments in ``keys`` (every position), ascending
        self.sampled_lengths = sampled_lengths  # of the sampled fragments (positions that are multiples of _STEP)
        self.few_fragments = few_fragments  # ((length, {fragment: entry numbers}), ...): searched key by key
        self._getters = {}  # rounded value length -> itemgetter of every cut a value of up to that length needs

    def numbers(self, value):
        """Entry numbers that could match ``value`` (lowered): linear in its length, whatever the entry count."""
        keys = self.keys
        size = len(value)
        if size <= _SLICED_POSITIONS:
            rounded = (size + 15) & ~15 if size <= 256 else 1 << (size - 1).bit_length()
            getter = self._getters.get(rounded)
            if getter is None:
                getter = self._getters[rounded] = self._getter(rounded)
            hits = [keys[key] for key in keys.keys() & getter(value)]
        else:
            # A long value (an attacker's megabyte of command line): fragments one by one, in memory bounded by the
            # keys.
            cuts = [value] + [value[:length] for length in self.prefix_lengths if length <= size] + [
                value[-length:] for length in self.suffix_lengths if length <= size]
            hits = [keys[key] for key in keys.keys() & cuts]
            for length in self.fragment_lengths + self.sampled_lengths:  # every position: more than enough
                seen = set()
                for start in range(size - length + 1):
                    fragment = value[start:start + length]
                    if fragment in keys and fragment not in seen:
                        seen.add(fragment)
                        hits.append(keys[fragment])
        for length, table in self.few_fragments:
            if length > size:
                break
            for fragment, hit in table.items():
                if fragment in value:
                    hits.append(hit)
        found = []
        for hit in hits:
            if isinstance(hit, int):
                found.append(hit)
            else:
                found.extend(hit)
        return found

    def _getter(self, size):
        """An itemgetter of every cut a value of up to ``size`` characters needs (see the class)."""
        cuts = [slice(None)]
        cuts += [slice(0, length) for length in self.prefix_lengths if length <= size]
        cuts += [slice(-length, None) for length in self.suffix_lengths if length <= size]
        for length in self.fragment_lengths:
            cuts += [slice(start, start + length) for start in range(size - length + 1)]
        for length in self.sampled_lengths:
            cuts += [slice(start, start + length) for start in range(0, size - length + 1, _STEP)]
        if len(cuts) == 1:
            cuts *= 2  # itemgetter(one) returns the item itself, not a tuple
        return itemgetter(*cuts)

    def to_data(self):
        return (self.keys, self.prefix_lengths, self.suffix_lengths, self.fragment_lengths, self.sampled_lengths,
                self.few_fragments)


_SLICED_POSITIONS = 4096  # values up to this length are cut with ready-made slices


class Allowlist(object):
    """Loaded entries, their index, and what went wrong while loading them."""

    def __init__(self, file_name, entries=(), errors=(), expired_lines=(), index_data=None):
        self.file_name = file_name
        self.errors = list(errors)
        self.expired_lines = list(expired_lines)
        if isinstance(entries, tuple) and len(entries) == 2 and isinstance(entries[0], str):
            # From the cache (see rows_data): the entries' text and where each one starts.
            self._text, self._starts = entries[0], array("i", entries[1])
            self._entries = [None] * (len(self._starts) - 1)
        else:
            self._entries = list(entries)
        if index_data is None:
            index_data = _build_index(self.entries)
        fields, unindexed = index_data
        self._fields = {field: _FieldIndex(*data) for field, data in fields.items()}
        self.indexed_fields = tuple(field for field in PATTERN_FIELDS if field in self._fields)
        self._unindexed = tuple(unindexed)

    def __len__(self):
        return len(self._entries)

    def entry(self, number):
        """Entry objects are made when first needed: a large allowlist loaded from the cache stays plain data."""
        found = self._entries[number]
        if found is None:
            parts = self._text[self._starts[number]:self._starts[number + 1]].split("\0")
            patterns = tuple((parts[at], Pattern(parts[at + 1])) for at in range(3, len(parts), 2))
            found = self._entries[number] = Entry(int(parts[0]), patterns, parts[1], parts[2])
        return found

    @property
    def entries(self):
        return [self.entry(number) for number in range(len(self._entries))]

    def index_data(self):
        fields = {field: index.to_data() for field, index in self._fields.items()}
        return fields, self._unindexed

    def rows_data(self):
        """The entries as one text and the offset where each starts (as bytes of 32-bit ints): line, reason, owner,
        then field and pattern pairs, NUL-separated (a lookup never holds NUL). A persisted 10,000-entry allowlist
        then loads as two objects, not 100,000, and an entry is made from its text only when a row needs it."""
        texts = ["\0".join([str(entry.line), entry.reason, entry.owner]
                           + [text for field, pattern in entry.patterns for text in (field, pattern.text)])
                 for entry in self.entries]
        starts = array("i", [0])
        for text in texts:
            starts.append(starts[-1] + len(text))
        return "".join(texts), starts.tobytes()

    @property
    def warnings(self):
        if not self.expired_lines:
            return []
        lines = ", ".join(str(line) for line in self.expired_lines[:10])
        more = " and %d more" % (len(self.expired_lines) - 10) if len(self.expired_lines) > 10 else ""
        return ["%s: %d expired entr%s ignored (line%s %s%s); renew or remove them"
                % (self.file_name, len(self.expired_lines), "y" if len(self.expired_lines) == 1 else "ies",
                   "" if len(self.expired_lines) == 1 else "s", lines, more)]

    @property
    def unindexed(self):
        """Entries compared with every row (none: every accepted entry has a literal character to index)."""
        return tuple(self.entry(number) for number in self._unindexed)

    def entries_for(self, field, lowered_values):
        """The entries indexed under ``field`` whose ``field`` pattern matches one of the (lowered) values, in file
        order. A row's candidates are these, for each indexed field, plus ``unindexed``."""
        index = self._fields.get(field)
        if index is None:
            return ()
        numbers = set()
        for value in lowered_values:
            for number in index.numbers(value):
                if number not in numbers and self.entry(number).pattern(field).matches(value):
                    numbers.add(number)
        return tuple(self.entry(number) for number in sorted(numbers))

    def candidates(self, lowered_values_of):
        """The entries that could match a row, in file order. ``lowered_values_of(field)`` returns the row's
        lowered values of a field."""
        found = []
        for field in self.indexed_fields:
            found.extend(self.entries_for(field, lowered_values_of(field)))
        found.extend(self.unindexed)
        found.sort(key=_line_of)
        return found

    @staticmethod
    def first_match(candidates, lowered_values_of):
        for entry in candidates:
            if entry.matches(lowered_values_of):
                return entry
        return None

    def match(self, lowered_values_of):
        """The first entry (in file order) matching the row, or None."""
        if not self._entries:
            return None
        return self.first_match(self.candidates(lowered_values_of), lowered_values_of)


def _line_of(entry):
    return entry.line


def _keys(pattern):
    """(kind, key) pairs a pattern can be indexed under; a value matching the pattern has every one of them (a
    sampled key: one of its fragments at a position that is a multiple of _STEP)."""
    if pattern.literal is not None:
        return [(_EXACT, pattern.literal)]
    parts = pattern.parts
    keys = []
    if parts[0]:
        keys.append((_PREFIX, parts[0][:_standard_length(len(parts[0]))]))
    if parts[-1]:
        keys.append((_SUFFIX, parts[-1][-_standard_length(len(parts[-1])):]))
    for part in parts[1:-1]:
        if len(part) >= FRAGMENT + _STEP - 1:
            keys.extend((_SAMPLED, tuple(part[start + offset:start + offset + FRAGMENT] for offset in range(_STEP)))
                        for start in range(len(part) - FRAGMENT - _STEP + 2))
        elif len(part) <= FRAGMENT:
            if part:
                keys.append((_FRAGMENT, part))
        else:  # reached only with a _STEP above 2: parts between FRAGMENT and the sampled length
            keys.extend((_FRAGMENT, part[start:start + FRAGMENT]) for start in range(len(part) - FRAGMENT + 1))
    return keys


def _build_index(entries):
    """Chooses each entry's key (the one fewest entries share) and builds the field indexes as plain data."""
    options = []
    counts = {}
    seen_patterns = set()
    for number, entry in enumerate(entries):
        same = tuple((field, ascii_lower(pattern.text)) for field, pattern in entry.patterns)
        if same in seen_patterns:
            options.append(None)  # an earlier entry with the same patterns always wins: never a candidate
            continue
        seen_patterns.add(same)
        keys = set()
        for field, pattern in entry.patterns:
            for kind, key in _keys(pattern):
                keys.add((field, kind, key))
        for option in keys:
            counts[option] = counts.get(option, 0) + 1
        options.append(keys)
    # field -> ({length: {value}}, {length: {prefix}}, {length: {suffix}}, {length: {sampled fragment}},
    #          {length: {fragment}})
    tables = {}
    unindexed = []
    for number, keys in enumerate(options):
        if keys is None:
            continue
        if not keys:
            unindexed.append(number)
            continue
        field, kind, key = min(keys, key=lambda option: (counts[option], _FIELD_RANK[option[0]], option[1],
                                                         -len(option[2]), option))
        by_kind = tables.setdefault(field, ({}, {}, {}, {}, {}))
        for one in (key if kind == _SAMPLED else (key,)):
            by_kind[kind].setdefault(len(one), {}).setdefault(one, []).append(number)

    def frozen(table):
        return {key: numbers[0] if len(numbers) == 1 else tuple(numbers) for key, numbers in table.items()}

    fields = {}
    for field, (exact, prefixes, suffixes, sampled, fragments) in tables.items():
        # One table for every kind (see _FieldIndex): a key several kinds share maps to all their entries.
        merged = {}
        few = []
        for by_length in (exact, prefixes, suffixes, sampled, fragments):
            for length, table in sorted(by_length.items()):
                if by_length is fragments and len(table) <= _FEW_FRAGMENTS:
                    few.append((length, frozen(table)))
                    continue
                for key, numbers in table.items():
                    merged.setdefault(key, []).extend(numbers)
        dense = tuple(sorted(length for length, table in fragments.items() if len(table) > _FEW_FRAGMENTS))
        fields[field] = (frozen({key: sorted(set(numbers)) for key, numbers in merged.items()}),
                         tuple(sorted(prefixes)), tuple(sorted(suffixes)), dense,
                         tuple(sorted(length for length in sampled if length not in dense)), tuple(few))
    return fields, tuple(unindexed)


def _parse_date(text):
    """YYYY-MM-DD as a date, or None."""
    if not _DATE.match(text):
        return None
    try:
        return datetime.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return None


def parse(file_name, data, today):
    """The allowlist in ``data`` (the file's bytes) as of ``today``."""
    entries, errors, expired = [], [], []
    try:
        for line, row in read_rows(file_name, REQUIRED_COLUMNS, data=data):
            problem = row.get(None)
            patterns = []
            if problem is None:
                restrictive = False
                for field in PATTERN_FIELDS:
                    text = row[field].strip()
                    if text and text.strip("*"):
                        patterns.append((field, Pattern(text)))
                        restrictive = restrictive or not is_only_wildcards_and_spaces(text)
                if not restrictive:
                    problem = ("every pattern (dest, user, parent_process_name, process) is empty or made only of "
                               "'*' and spaces, so it would allowlist everything")
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


def load(file_name, today=None, lookups_dir=None, cache_dir=None):
    """Reads an allowlist lookup. Never raises: problems end up in ``Allowlist.errors``.

    With ``cache_dir`` (a folder, or index_cache.DEFAULT as the command passes) the parsed and indexed allowlist
    is persisted (index_cache.py) under a key made of the file's content, the date and this code, so that later
    searches skip parsing and indexing. Without it (tests, tools) nothing is written anywhere.
    """
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    day = today.isoformat()
    path = path_of(file_name, lookups_dir)
    file_identity = settled = None
    if cache_dir is not None:
        # A stat note (index_cache.py) says which content this very file has: no need to read and hash it.
        file_identity, settled = index_cache.identity(path)
        noted_key = index_cache.read_note("allowlist", path, file_identity, day, cache_dir)
        if noted_key is not None:
            table = _cached(file_name, noted_key, cache_dir)
            if table is not None:
                return table
    try:
        data = read_file(file_name, lookups_dir)
    except Problem as problem:
        return Allowlist(file_name, errors=[str(problem)])
    if data is None:
        return Allowlist(file_name)  # the admin's allowlist does not exist yet: no entries
    if cache_dir is None:
        return parse(file_name, data, today)
    key = index_cache.key("allowlist", file_name, day, data)
    table = _cached(file_name, key, cache_dir)
    if table is None:
        table = parse(file_name, data, today)
        stored = index_cache.write(key, (table.rows_data(), table.errors, table.expired_lines, table.index_data()),
                                   cache_dir)
    else:
        stored = True
    # The note stands for what was read only if the file kept its identity while it was read.
    if stored and settled and index_cache.identity(path) == (file_identity, True):
        index_cache.write_note("allowlist", path, file_identity, day, key, cache_dir)
    return table


def _cached(file_name, key, cache_dir):
    cached = index_cache.read(key, cache_dir)
    return _from_cache(file_name, cached) if cached is not None else None


def _from_cache(file_name, cached):
    """An Allowlist from persisted data, or None when the data does not have the expected shape.

    index_cache has already checked that the data is intact and was written by this code for this file's content;
    this only guards against a shape this code cannot use.
    """
    try:
        rows, errors, expired_lines, (fields, unindexed) = cached
        if not (isinstance(rows, tuple) and len(rows) == 2 and isinstance(rows[0], str) and isinstance(rows[1], bytes)
                and isinstance(errors, list) and isinstance(expired_lines, list)
                and isinstance(fields, dict) and isinstance(unindexed, tuple)
                and all(field in PATTERN_FIELDS and len(data) == 6 for field, data in fields.items())):
            return None
        return Allowlist(file_name, rows, errors, expired_lines, (fields, unindexed))
    except (TypeError, ValueError, AttributeError):
        return None
