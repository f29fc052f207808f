"""Scores and annotates a table of detection results: the whole of ngrokscore's behaviour, without splunklib.

Takes a chunk as Splunk sends it (a CSV header and rows of strings, multivalue fields in ``__mv_`` columns) and
writes the same rows, in order, as Splunk CSV, with every input value untouched except for masked secrets in
``process`` and ``parent_process``, plus the output fields in ``detection.OUTPUT_FIELDS``.

Speed: a chunk holds up to 50,000 rows and nearly every row is a distinct (dest, user, parent, process)
combination, but each part repeats: a few thousand command lines, users, parents, hosts. So each part is worked
out once per distinct value and remembered (a command line: parsed, its facts scored; a field that modifiers test:
which of them apply; a set of modifiers: the score and reasons; an allowlist field value: the entries indexed
under it), and a row costs a few dictionary look-ups. The output fields are written as ready-made CSV text after
the row's own cells: most of them are constants, encoded once. Every memory is bounded, so memory stays flat
however many rows a search sends.
"""

import csv
from operator import itemgetter

from . import detection
from .allowlist import PATTERN_FIELDS
from .breakdown import describe, describe_unscored
from .fields import ALIASES, NAME_FROM_PATH, REDACTED_FIELDS, Schema, basename, decode_mv, encode_mv
from .identity import is_identity
from .modifiers import FACTS
from .ngrok_cmdline import parse, parse_all
from .redaction import MASK, may_hold_secret, redact, redact_values
from .template import UNKNOWN, split_template
from .wildcard import ascii_lower
from .fields import NAME_FROM_COMMAND_LINE, is_placeholder, program_name  # name fallbacks (_NameColumn)

_MEMORY_LIMIT = 20000  # entries per memory; a full memory is cleared and refilled
_PLAN_LIMIT = 4  # headers remembered at once, each with its memories
_FALLBACK_REASON = "not scored: internal error in ngrokscore (base score kept)"

_CONSTANT_OUTPUTS = {
    "mitre_technique_id": [technique_id for technique_id, _ in detection.MITRE_TECHNIQUES],
    "mitre_technique": [name for _, name in detection.MITRE_TECHNIQUES],
    "mitre_tactic": detection.MITRE_TACTIC,
    "mitre_tactic_id": detection.MITRE_TACTIC_ID,
    "kill_chain_phase": detection.KILL_CHAIN_PHASE,
    "analytic_story": detection.ANALYTIC_STORY,
    "detection_id": detection.DETECTION_ID,
}
# The output columns that change from row to row, in the order outcome() returns their values.
_VARYING_COLUMNS = ("risk_score", "risk_reasons", "__mv_risk_reasons", "risk_score_breakdown", "risk_message",
                    "allowlisted", "allowlist_reason", "ngrok_subcommand", "ngrok_target")


class SplunkCsv(csv.Dialect):
    """The CSV dialect of search command protocol v2 (the same as splunklib's CsvDialect)."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL


def csv_cell(text):
    """One cell as the csv module writes it with SplunkCsv: quoted only when it must be."""
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def clamp(score):
    return 0 if score < 0 else 100 if score > 100 else score


def _remember(memory, key, value):
    if len(memory) >= _MEMORY_LIMIT:
        memory.clear()
    memory[key] = value
    return value


def values_of_key(key):
    """A field's values from its key: a string (one value, or none when empty) or a tuple (several)."""
    if isinstance(key, tuple):
        return list(key)
    return [key] if key else []


# Verbs of the ngrok agent that a renamed binary is recognised by (its first word after the program).
AGENT_VERBS = frozenset(["tcp", "http", "tls", "tunnel", "start", "service", "authtoken", "config"])
# The agent's own names: any other program name running it is a renamed binary.
AGENT_NAMES = frozenset(["ngrok", "ngrok.exe"])


def runs_renamed(invocations, key):
    """True when the ngrok agent runs under a program name of its own choosing: the process is ngrok (an agent
    verb opens its command line, or its metadata's original_file_name is ngrok's) and its name is not ngrok.

    ``key`` is (process, process_path, process_name, original_file_name) as _Plan.command_line reads them."""
    process, _, name_key, original_key = key
    originals = [value.strip().lower() for value in values_of_key(original_key)]
    is_agent = any(value in AGENT_NAMES for value in originals) or any(
        invocation.subcommand in AGENT_VERBS for invocation in invocations)
    if not is_agent:
        return False
    names = [value.strip().lower() for value in values_of_key(name_key) if not is_placeholder(value)]
    if not names:
        names = [program_name(value).lower() for value in values_of_key(process) if program_name(value)]
    return bool(names) and any(name not in AGENT_NAMES for name in names)


class Enricher(object):
    """Holds the settings and loaded lookups for one search; ``write`` is called once per chunk."""

    def __init__(self, settings, allowlist=None, modifier_table=None):
        self.settings = settings
        self.base = detection.base_score(settings.impact, settings.confidence)
        self.allowlist = allowlist if allowlist is not None and len(allowlist) else None
        self.modifiers = list(modifier_table.modifiers) if settings.modifiers and modifier_table is not None else []
        self.template = split_template(settings.message)
        self.failed_rows = 0
        self.last_failure = None
        self._plans = {}
        self._scores = {}  # bitmask of applied modifiers -> (risk_score, reasons, __mv_ reasons), as CSV cells
        # Output fields as a message shows them ($mitre_technique_id$ -> "T1572, T1090, T1102").
        self.constant_message_values = {name: ", ".join(value) if isinstance(value, list) else value
                                        for name, value in _CONSTANT_OUTPUTS.items()}

    def write(self, header, rows, out):
        """Writes the chunk's output (header line, then one line per kept row) to the text stream ``out``.

        ``rows`` yields lists of strings (as csv.reader does). Returns the number of rows written; nothing at all is
        written when no row is kept.
        """
        key = tuple(header)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= _PLAN_LIMIT:
                # Raw-event searches may send a new header on every chunk: keep memory bounded all the same.
                del self._plans[next(iter(self._plans))]
            plan = self._plans[key] = _Plan(self, header)
        return plan.write(rows, out)

    def score_cells(self, mask):
        found = self._scores.get(mask)
        if found is None:
            applied = [modifier for bit, modifier in enumerate(self.modifiers) if mask >> bit & 1]
            score = clamp(self.base + sum(modifier.score for modifier in applied))
            reasons = [modifier.reason for modifier in applied]
            breakdown = describe(self.base, [(modifier.name, modifier.score) for modifier in applied],
                                 self.settings.modifiers)
            found = self._scores[mask] = (str(score), csv_cell("\n".join(reasons)), csv_cell(encode_mv(reasons)),
                                          ", ".join(reasons), csv_cell(breakdown), breakdown)
        return found


class _Column(object):
    """One field of a row: its value column and, when the header has one, its __mv_ column."""

    __slots__ = ("value_index", "mv_index")

    def __init__(self, value_index, mv_index):
        self.value_index, self.mv_index = value_index, mv_index

    def key(self, row):
        """A hashable key for the field's values: the string itself, or a tuple when multivalued."""
        if self.mv_index is not None and row[self.mv_index]:
            return tuple(decode_mv(row[self.mv_index]))
        return row[self.value_index]


class _BasenameColumn(_Column):
    """A name read from the base name of a path column, for raw events that carry Image but no process_name."""

    __slots__ = ("path",)
    name_of = staticmethod(basename)  # what the name is, read from one value of the source column

    def __init__(self, path):
        _Column.__init__(self, path.value_index, path.mv_index)
        self.path = path

    def key(self, row):
        key = self.path.key(row)
        name_of = self.name_of
        if isinstance(key, tuple):
            return tuple(name_of(value) for value in key if value)
        return name_of(key) if key else ""


class _ProgramColumn(_BasenameColumn):
    """A name read from the program of a command-line column (the parent's, for parent_process_name)."""

    __slots__ = ()
    name_of = staticmethod(program_name)


class _NameColumn(_Column):
    """A name field with fallbacks: the first of its columns whose value is not empty or a placeholder (null, unknown,
    -, N/A), else the name column's own value. The detection's tstats writes "null" for a missing name, while the
    v10 search also brings the process paths and the parent's command line."""

    __slots__ = ("columns",)

    def __init__(self, columns):
        _Column.__init__(self, columns[0].value_index, columns[0].mv_index)
        self.columns = columns

    def key(self, row):
        first = None
        for column in self.columns:
            key = column.key(row)
            if isinstance(key, tuple):
                if any(not is_placeholder(value) for value in key):
                    return key
            elif not is_placeholder(key):
                return key
            if first is None:
                first = key
        return first


class _AbsentColumn(_Column):
    """A field the header does not have: it reads as empty."""

    __slots__ = ()

    def __init__(self):
        _Column.__init__(self, None, None)

    def key(self, row):
        return ""


_ABSENT = _AbsentColumn()


def _getter(column):
    """The fastest way to read a column's key from a row: an itemgetter (in C) for a plain column without __mv_."""
    if type(column) is _Column and column.mv_index is None:
        return itemgetter(column.value_index)
    return column.key


def _keys_getter(columns):
    """One call that returns the keys of several columns as a tuple (for plain columns an itemgetter, in C)."""
    if columns and all(type(column) is _Column and column.mv_index is None for column in columns):
        indexes = [column.value_index for column in columns]
        if len(indexes) == 1:
            # itemgetter(i) returns the value itself, itemgetter(i, i) a tuple (value, value): callers zip the keys
            # with their fields, so the copy is never read.
            indexes *= 2
        return itemgetter(*indexes)
    return lambda row: tuple([column.key(row) for column in columns])


class _CommandLine(object):
    """What one distinct command line (with its process_path) contributes to a row."""

    __slots__ = ("mask", "subcommand", "target", "subcommand_cell", "target_cell", "allowlisted_by")

    def __init__(self, mask, subcommand, target):
        self.mask, self.subcommand, self.target = mask, subcommand, target
        self.allowlisted_by = None  # the _Decision of the entries indexed under process it matches, or () (outcome)
        self.subcommand_cell, self.target_cell = csv_cell(subcommand), csv_cell(target)


class _Plan(object):
    """How to process rows with one particular header."""

    def __init__(self, enricher, header):
        self.enricher = enricher
        self.settings = settings = enricher.settings
        self.schema = schema = Schema(header)
        self.width = len(header)
        self.process = self.column("process")
        self.process_path = self.column("process_path")
        self.process_name = self.column("process_name")
        self.original_file_name = self.column("original_file_name")

        # Output columns: new ones are written before the row's own cells (so that the csv module, which ends each
        # line, writes the row last); ones the header already has (scores from an earlier ngrokscore) are
        # overwritten in place.
        output_columns = []
        for field in detection.OUTPUT_FIELDS:
            output_columns.append(field)
            if field in detection.MULTIVALUE_OUTPUT_FIELDS or "__mv_" + field in schema.position:
                output_columns.append("__mv_" + field)
        new_columns = [name for name in output_columns if name not in schema.position]
        positions = {name: schema.position[name] if name in schema.position else self.width + new_columns.index(name)
                     for name in output_columns}
        self.header_line = ",".join(csv_cell(name) for name in new_columns + list(header))
        self.tail = [None] * len(new_columns)  # None marks a varying cell, filled per row
        self.constant_overwrites = []
        for field, value in _CONSTANT_OUTPUTS.items():
            self._place(positions[field], "\n".join(value) if isinstance(value, list) else value)
            if "__mv_" + field in positions:
                self._place(positions["__mv_" + field], encode_mv(value) if isinstance(value, list) else "")
        for name in ("allowlisted", "ngrok_subcommand", "ngrok_target", "risk_score", "risk_message",
                     "allowlist_reason", "risk_score_breakdown"):
            if "__mv_" + name in positions:
                self._place(positions["__mv_" + name], "")  # an earlier multivalue would shadow the new value
        self.varying = [positions[name] for name in _VARYING_COLUMNS]
        # The usual case, every output column new: a row's line is one %-format of its varying cells and its own
        # cells, the constant cells already in the template.
        self.line_template = None
        if not self.constant_overwrites and all(position >= self.width for position in self.varying):
            cells = [cell.replace("%", "%%") if cell is not None else None for cell in self.tail]
            for position in self.varying:
                cells[position - self.width] = "%s"
            self.line_template = ",".join(cells) + ",%s\r\n"

        # Secrets are masked in every column process and parent_process may arrive in, duplicates included.
        self.redacted_indexes = []
        if settings.redact:
            names = {name for field in REDACTED_FIELDS for name in ALIASES[field]}
            for index, name in enumerate(header):
                if name in names:
                    self.redacted_indexes.append((index, False))
                elif name.startswith("__mv_") and name[5:] in names:
                    self.redacted_indexes.append((index, True))
        self.redactions = {}

        # Modifiers on command-line facts are scored once per command line; modifiers on a row field once per
        # distinct value of that field.
        self.fact_modifiers = []
        by_field = {}
        for bit, modifier in enumerate(enricher.modifiers):
            if modifier.field in FACTS:
                self.fact_modifiers.append((bit, modifier))
            else:
                by_field.setdefault(modifier.field, []).append((bit, modifier))
        self.command_lines = {}
        # A command line is remembered by what it is scored from, read in one call (runs_renamed reads the key).
        self.command_key = _keys_getter([self.process, self.process_path, self.process_name,
                                         self.original_file_name])

        # The allowlist: per indexed field, a memory of column value -> the _Decision of the entries indexed under
        # that field whose pattern there matches it (an empty tuple for most values), folded into the memories a row
        # looks up anyway. A field that modifiers also test shares their memory (_FieldMemory: value -> (modifier
        # bits, decision)); a field no modifier tests gets one of its own; and ``process``, when no modifier tests
        # it, is remembered on the row's command line (see outcome), so most rows cost no extra look-up for it.
        self.allowlist = allowlist = enricher.allowlist
        self.allowlist_field_memories = []
        self.allowlist_process = None
        if allowlist is not None:
            self.allowlist_columns = {field: self.column(field) for field in PATTERN_FIELDS}
            # Rows whose values find candidates are decided through _Decision (one per distinct list of candidates)
            # and a bounded memory of decisions keyed by the values of the fields those candidates still test.
            self.decision_of = {}  # (field, entries) -> _Decision
            self.decisions = {}  # (_Decision, values of the fields it tests) -> the entry that wins, or None
            for field in allowlist.indexed_fields:
                if field == "process" and field not in by_field:
                    self.allowlist_process = _FieldMemory(allowlist, field, [], self.decision)
                    self.allowlist_process_key = _getter(self.allowlist_columns[field])
                else:
                    self.allowlist_field_memories.append((_getter(self.column(field)), _FieldMemory(
                        allowlist, field, by_field.pop(field, []), self.decision)))
            self.allowlist_unindexed = allowlist.unindexed
            self.reason_cells = {}
        self.field_modifiers = [(_getter(self.column(field)), modifiers, {}) for field, modifiers in by_field.items()]

        # The message: literal text and fields; output fields come from the row's outcome.
        self.message_parts = []
        for literal, field in enricher.template:
            if field is None or field in detection.OUTPUT_FIELDS:
                self.message_parts.append((literal, field, None))
            else:
                self.message_parts.append((literal, field, self.column(field)))
        self.message_uses_outputs = any(field in detection.OUTPUT_FIELDS for _, field in enricher.template)
        # A message made only from columns (the default one) repeats with them: remember it per their values.
        self.message_columns = None
        if not self.message_uses_outputs:
            self.message_columns = [source for _, field, source in self.message_parts if field is not None]
            self.message_key = _keys_getter(self.message_columns)
            self.messages = {}

    def column(self, field):
        """How to read a field from a row (absent fields read as empty; names fall back as _NameColumn says)."""
        found = self.schema.columns_of(field)
        columns = [_Column(*found[0])] if found else []
        path = self.column(NAME_FROM_PATH[field]) if field in NAME_FROM_PATH else _ABSENT
        if path is not _ABSENT:
            columns.append(_BasenameColumn(path))
        command_line = self.column(NAME_FROM_COMMAND_LINE[field]) if field in NAME_FROM_COMMAND_LINE else _ABSENT
        if command_line is not _ABSENT:
            columns.append(_ProgramColumn(command_line))
        if not columns:
            return _ABSENT
        return columns[0] if len(columns) == 1 else _NameColumn(columns)

    def _place(self, position, text):
        if position >= self.width:
            self.tail[position - self.width] = csv_cell(text)
        else:
            self.constant_overwrites.append((position, text))

    # -- per chunk and per row -----------------------------------------------------------------------------------

    def write(self, rows, out):
        width, drop = self.width, self.settings.on_allowlist == "drop"
        redacting = bool(self.redacted_indexes)
        template, commas = self.line_template, width - 1
        lines = []
        count = 0
        for row in rows:
            if len(row) != width:
                row = (row + [""] * width)[:width]
            try:
                # The command line is read as written, then masked: masking first would hide words from the parser.
                command_line = self.command_line(row)
                if redacting:
                    self.redact_row(row)  # before the message, so that it is built from masked values
                cells, allowlisted = self.outcome(row, command_line)
            except Exception as error:  # a bug must cost one row's extras, never the chunk or the detection
                cells, allowlisted = self.fallback(row, error)
            if allowlisted and drop:
                continue
            if not count:
                lines.append(self.header_line + "\r\n")
            count += 1
            if template is not None:
                # The row's own cells as the csv module writes them: joined as they are unless one needs quotes.
                text = ",".join(row)
                if '"' in text or "\n" in text or "\r" in text or text.count(",") != commas:
                    text = ",".join([csv_cell(cell) for cell in row])
                lines.append(template % (cells + (text,)))
            else:
                tail = self.layout(row, cells)
                for position, value in self.constant_overwrites:
                    row[position] = value
                text = ",".join([csv_cell(cell) for cell in row])
                lines.append(",".join(tail) + "," + text + "\r\n" if tail else (text or '""') + "\r\n")
            if len(lines) >= 1000:
                out.write("".join(lines))
                lines = []
        if lines:
            out.write("".join(lines))
        return count

    def layout(self, row, cells):
        """The new columns' cells; varying cells for columns the input already had go into the row (as text)."""
        tail = list(self.tail)
        for position, cell in zip(self.varying, cells):
            if position >= self.width:
                tail[position - self.width] = cell
            else:
                row[position] = _uncell(cell)
        return tail

    def outcome(self, row, command_line):
        """The varying output cells, CSV-encoded, and whether the row is allowlisted."""
        mask = command_line.mask
        for key_of, modifiers, memory in self.field_modifiers:
            key = key_of(row)
            bits = memory.get(key)
            if bits is None:
                bits = _remember(memory, key, _modifier_bits(modifiers, values_of_key(key)))
            mask |= bits
        entry = None
        if self.allowlist is not None:
            # Most rows find no entry under any of their values (each looked up once per distinct value, then
            # remembered): those cost a look-up per field. The rest are compared with their candidates.
            hits = None
            for key_of, memory in self.allowlist_field_memories:
                found = memory[key_of(row)]  # a value met for the first time: _FieldMemory.__missing__
                mask |= found[0]
                if found[1]:
                    hits = [found[1]] if hits is None else hits + [found[1]]
            if self.allowlist_process is not None:
                # The process as the row holds it now (masked): a function of the command line's key, so it is
                # remembered with the command line.
                found = command_line.allowlisted_by
                if found is None:
                    found = command_line.allowlisted_by = self.allowlist_process[self.allowlist_process_key(row)][1]
                if found:
                    hits = [found] if hits is None else hits + [found]
            if hits is not None or self.allowlist_unindexed:
                entry = self.allowlist_entry(row, hits)
        score, reasons_cell, reasons_mv_cell, reasons_text, breakdown_cell, breakdown = self.enricher.score_cells(mask)

        if entry is None:
            allowlisted, reason_cell = "false", ""
        else:
            allowlisted = "true"
            reason_cell = self.reason_cells.get(entry.line)
            if reason_cell is None:
                reason_cell = self.reason_cells[entry.line] = csv_cell(entry.reason)

        outputs = None
        if self.message_uses_outputs:
            outputs = dict(self.enricher.constant_message_values, risk_score=score, risk_reasons=reasons_text,
                           risk_score_breakdown=breakdown,
                           ngrok_subcommand=command_line.subcommand, ngrok_target=command_line.target,
                           allowlisted=allowlisted, allowlist_reason=entry.reason if entry is not None else "")
        if self.message_columns is not None:
            key = self.message_key(row)
            message_cell = self.messages.get(key)
            if message_cell is None:
                message_cell = _remember(self.messages, key, csv_cell(self.message(row, None)))
        else:
            message_cell = csv_cell(self.message(row, outputs))
        return (score, reasons_cell, reasons_mv_cell, breakdown_cell, message_cell, allowlisted, reason_cell,
                command_line.subcommand_cell, command_line.target_cell), entry is not None

    def command_line(self, row):
        key = self.command_key(row)  # (process, process_path, process_name, original_file_name)
        found = self.command_lines.get(key)
        if found is None:
            process, path = key[0], key[1]
            # Every value of a multivalue process, every ngrok command of a compound line: facts of any of them.
            values = values_of_key(process)
            # A single value the redactor masks next (redact_row): parse_all makes its shell reading for both.
            redact_next = self.settings.redact and len(values) == 1 and may_hold_secret(values[0])
            invocations = [invocation for value in values for invocation in parse_all(value, redact_next)]
            if not invocations:
                invocations = [parse("")]
            facts = {
                "ngrok_subcommand": [invocation.subcommand for invocation in invocations],
                "ngrok_action": [invocation.action for invocation in invocations],
                "ngrok_target": [invocation.target for invocation in invocations],
                "ngrok_target_port": [invocation.target_port for invocation in invocations],
                "ngrok_arguments": [invocation.arguments for invocation in invocations],
                "ngrok_paths": [path for invocation in invocations for path in invocation.paths]
                + values_of_key(path),
                "ngrok_authtoken_present": ["true" if any(i.has_authtoken for i in invocations) else "false"],
                "ngrok_renamed": ["true" if runs_renamed(invocations, key) else "false"],
            }
            mask = 0
            for bit, modifier in self.fact_modifiers:
                if modifier.applies([value.lower() for value in facts[modifier.field] if value]):
                    mask |= 1 << bit
            first = invocations[0]
            shown = [first.subcommand, first.target]
            if self.settings.redact:
                shown = [redact(text) for text in shown]  # https://user:pass@host as the target, for one
            found = _remember(self.command_lines, key, _CommandLine(mask, *shown))
        return found

    def redact_row(self, row):
        memory = self.redactions
        for index, is_mv in self.redacted_indexes:
            original = row[index]
            if not original:
                continue
            key = (is_mv, original)
            masked = memory.get(key)
            if masked is None:
                if is_mv:
                    # Mask the values together (a secret may follow its keyword in the next value), then re-encode,
                    # so the multivalue structure survives.
                    masked = encode_mv(redact_values(decode_mv(original)))
                else:
                    masked = redact(original)
                _remember(memory, key, masked)
                _remember(memory, (None, masked), masked)  # the message shows it as it is
            row[index] = masked

    def decision(self, field, entries):
        """The _Decision for candidates ``entries`` (in file order) found under ``field``: one per distinct list, so
        that values finding the same entries (every host of a fleet under ``ci-runner-*``) share remembered
        decisions."""
        key = (field, entries)
        found = self.decision_of.get(key)
        if found is None:
            found = _remember(self.decision_of, key, _Decision(entries, field, self.allowlist_columns))
        return found

    def allowlist_entry(self, row, hits):
        """The first entry matching the row, or None. ``hits``: the _Decisions the row's values found in the
        per-field memories (None for none)."""
        unindexed = self.allowlist_unindexed
        if hits is not None and len(hits) == 1 and not unindexed:
            decision = hits[0]
            entry = decision.settled
            if entry is not _OPEN:
                return entry
            values = decision.values_of(row)
            key = (decision, values)
            entry = self.decisions.get(key, _OPEN)
            if entry is _OPEN:
                entry = decision.decide(values)
                if _short(values):  # a megabyte of command line is compared again rather than kept
                    _remember(self.decisions, key, entry)
            return entry
        # Candidates under several fields, or entries indexed under none (rare): every candidate compared whole.
        found = unindexed
        if hits is not None:
            lists = [decision.entries for decision in hits]
            if found:
                lists.append(found)
            found = lists[0] if len(lists) == 1 else sorted([entry for entries in lists for entry in entries],
                                                            key=_line_of)
        elif not found:
            return None
        columns, lowered = self.allowlist_columns, {}

        def lowered_values_of(field):
            values = lowered.get(field)
            if values is None:
                values = lowered[field] = [ascii_lower(value) for value in values_of_key(columns[field].key(row))]
            return values

        for entry in found:
            if entry.matches(lowered_values_of):
                return entry
        return None

    def message(self, row, outputs):
        redacting = self.settings.redact
        pieces = []
        for literal, field, source in self.message_parts:
            pieces.append(literal)
            if field is None:
                continue
            if source is None:
                value = outputs.get(field, "")
            else:
                key = source.key(row)
                value = ", ".join(item for item in key if is_identity(item)) if isinstance(key, tuple) else key
            value = value if is_identity(value) else UNKNOWN  # null, -, N/A: not identities
            pieces.append(self.masked(value) if redacting else value)
        return "".join(pieces)

    def masked(self, value):
        """A message value with its secrets masked. Each value is masked on its own, as its column is (the
        template's words are the admin's), and a value this search has already masked, such as the masked
        ``process``, is shown as it is: masking it again would cost a second pass over a long command line."""
        memory = self.redactions
        masked = memory.get((None, value))  # (None, text): text is already the masked form of a column's value
        if masked is None:
            masked = memory.get((False, value))
            if masked is None:
                masked = _remember(memory, (False, value), redact(value))
        return masked

    def fallback(self, row, error):
        enricher = self.enricher
        enricher.failed_rows += 1
        enricher.last_failure = "%s: %s" % (type(error).__name__, error)
        for index, _ in self.redacted_indexes:
            if row[index]:
                row[index] = MASK  # never leak a secret because redaction could not run
        cells = (str(enricher.base), csv_cell(_FALLBACK_REASON), "", csv_cell(describe_unscored(enricher.base)), "",
                 "false", "", "", "")
        return cells, False


def _line_of(entry):
    return entry.line


def _modifier_bits(modifiers, values):
    """The bits of the (bit, modifier) pairs that apply to ``values`` (compared lower-cased)."""
    lowered = [value.lower() for value in values]
    bits = 0
    for bit, modifier in modifiers:
        if modifier.applies(lowered):
            bits |= 1 << bit
    return bits


class _FieldMemory(dict):
    """One indexed field's memory when a row looks its value up anyway: a key of the field (as _Column.key reads it)
    -> (bits of the modifiers on the field that apply to it, the _Decision of the entries indexed under the field
    whose pattern there matches one of its values, or () for most). A field that modifiers also test shares this
    memory with them. A key met for the first time is worked out here; the memory is bounded like every other."""

    __slots__ = ("allowlist", "field", "modifiers", "decision")

    def __init__(self, allowlist, field, modifiers, decision):
        dict.__init__(self)
        self.allowlist, self.field, self.modifiers, self.decision = allowlist, field, modifiers, decision

    def __missing__(self, key):
        bits = _modifier_bits(self.modifiers, values_of_key(key)) if self.modifiers else 0
        entries = self.allowlist.entries_for(self.field, [ascii_lower(value) for value in values_of_key(key)])
        if len(self) >= _MEMORY_LIMIT:
            self.clear()
        found = self[key] = (bits, self.decision(self.field, entries) if entries else ())
        return found


_OPEN = object()  # a decision that depends on the row
_SHORT = 1024  # longest value (characters) a remembered decision keeps in its key


def _short(values):
    return all(type(value) is str and len(value) <= _SHORT for value in values)


class _Decision(object):
    """How rows are decided whose values found one list of candidate entries, all indexed under ``field``.

    Each candidate's ``field`` pattern is known to match the row already (the index compared it), so only its other
    patterns are left; candidates after the first one with no other pattern can never win (file order), and when
    that first one leads the list the decision is ``settled`` without looking at the row. Otherwise the decision
    depends only on the row's values of the fields the remaining patterns test (``values_of``), which is what the
    plan's memory of decisions is keyed by: rows repeating those values are decided once.
    """

    __slots__ = ("entries", "settled", "values_of", "checks", "last")

    def __init__(self, entries, field, columns):
        self.entries = entries
        checks = []
        self.last = None  # the entry that wins when every entry before it failed (it tests nothing else)
        for entry in entries:
            tests = [(name, pattern) for name, pattern in entry.patterns if name != field]
            if not tests:
                self.last = entry
                break
            checks.append((entry, tests))
        self.settled = _OPEN if checks else self.last
        fields = [name for name in PATTERN_FIELDS if any(name == tested for _, tests in checks for tested, _ in tests)]
        position = {name: number for number, name in enumerate(fields)}
        # A tuple of the fields' keys (a single plain column reads as (value, value): see _keys_getter).
        self.values_of = _keys_getter([columns[name] for name in fields]) if fields else None
        self.checks = tuple((entry, tuple((position[name], pattern) for name, pattern in tests))
                            for entry, tests in checks)

    def decide(self, values):
        """The first candidate whose remaining patterns all match ``values`` (as values_of read them), or None."""
        lowered = {}
        for entry, tests in self.checks:
            for position, pattern in tests:
                found = lowered.get(position)
                if found is None:
                    found = lowered[position] = [ascii_lower(value) for value in values_of_key(values[position])]
                if not any(map(pattern.matches, found)):
                    break
            else:
                return entry
        return self.last


def _uncell(cell):
    """The text of a CSV-encoded cell (for the rare columns written inside the row)."""
    if cell.startswith('"'):
        return cell[1:-1].replace('""', '"')
    return cell
