"""Scores and annotates a table of detection results: the whole of ngrokscore's behaviour, without splunklib.

Works on a chunk as Splunk sends it (a CSV header and rows of strings, multivalue fields in ``__mv_`` columns) and
returns the same rows, in order, with every input value untouched except for masked secrets in ``process`` and
``parent_process``, plus the output fields in ``detection.OUTPUT_FIELDS``. Rows that share every input the outcome
depends on are scored once (tstats results repeat command lines across process ids and hosts).
"""

from operator import itemgetter

from . import detection
from .allowlist import PATTERN_FIELDS
from .fields import REDACTED_FIELDS, Schema, decode_mv, encode_mv
from .ngrok_cmdline import parse
from .redaction import MASK, redact
from .template import render, template_fields

_CACHE_LIMIT = 100000
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


def clamp(score):
    return 0 if score < 0 else 100 if score > 100 else score


class Enricher(object):
    """Holds the settings and loaded lookups for one search; ``process`` is called once per chunk."""

    def __init__(self, settings, allowlist=None, modifier_table=None):
        self.settings = settings
        self.base = detection.base_score(settings.impact, settings.confidence)
        self.allowlist = allowlist if allowlist is not None and allowlist.entries else None
        self.modifiers = modifier_table if settings.modifiers and modifier_table is not None else None
        self.template_fields = template_fields(settings.message)
        self.failed_rows = 0
        self.last_failure = None
        self._plans = {}

    # -- public ------------------------------------------------------------------------------------------------

    def process(self, header, rows):
        """Returns (output header, output rows) for one chunk. ``rows`` are lists of strings."""
        plan = self._plans.get(tuple(header))
        if plan is None:
            plan = self._plans[tuple(header)] = _Plan(self, header)
        return plan.out_header, plan.process(rows)

    def key_fields(self):
        """Fields the outcome depends on, for the row cache key."""
        fields = set(PATTERN_FIELDS) | set(REDACTED_FIELDS) | {"process_path"} | set(self.template_fields)
        if self.modifiers is not None:
            fields.update(self.modifiers.fields)
        return fields


class _Outcome(object):
    """Everything computed for one distinct input: the values appended, overwritten and redacted."""

    __slots__ = ("tail", "overwrites", "allowlisted")

    def __init__(self, tail, overwrites, allowlisted):
        self.tail, self.overwrites, self.allowlisted = tail, overwrites, allowlisted


class _Plan(object):
    """How to process rows with one particular header."""

    def __init__(self, enricher, header):
        self.enricher = enricher
        self.settings = enricher.settings
        self.schema = schema = Schema(header)
        self.width = len(header)
        self.readers = {}

        # Output columns: new ones are appended; ones already in the header are overwritten in place.
        out_header = list(header)
        self.positions = []  # (column name, position) for every output column
        for field in detection.OUTPUT_FIELDS:
            columns = [field]
            if field in detection.MULTIVALUE_OUTPUT_FIELDS or "__mv_" + field in schema.position:
                columns.append("__mv_" + field)
            for column in columns:
                if column in schema.position:
                    self.positions.append((column, schema.position[column]))
                else:
                    self.positions.append((column, len(out_header)))
                    out_header.append(column)
        self.out_header = out_header

        self.redacted_columns = []
        if self.settings.redact:
            for field in REDACTED_FIELDS:
                for value_index, mv_index in schema.columns_of(field):
                    self.redacted_columns.append((value_index, False))
                    if mv_index is not None:
                        self.redacted_columns.append((mv_index, True))

        key_columns = schema.key_columns(enricher.key_fields())
        if not key_columns:
            self.key_of = lambda row: None
        elif len(key_columns) == 1:
            index = key_columns[0]
            self.key_of = lambda row: row[index]
        else:
            self.key_of = itemgetter(*key_columns)
        self.cache = {}

    def reader(self, field):
        reader = self.readers.get(field)
        if reader is None:
            reader = self.readers[field] = self.schema.reader(field)
        return reader

    def process(self, rows):
        cache, key_of, width = self.cache, self.key_of, self.width
        drop = self.settings.on_allowlist == "drop"
        output = []
        append = output.append
        for row in rows:
            if len(row) != width:
                row = (row + [""] * width)[:width]
            key = key_of(row)
            outcome = cache.get(key)
            if outcome is None:
                outcome = self.outcome(row)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[key] = outcome
            if drop and outcome.allowlisted:
                continue
            out = row + outcome.tail
            for position, value in outcome.overwrites:
                out[position] = value
            append(out)
        return output

    # -- one distinct input ------------------------------------------------------------------------------------

    def outcome(self, row):
        try:
            values, allowlisted = self.score(row)
            redactions = self.redactions(row)
        except Exception as error:  # a bug must cost one row's extras, never the chunk or the detection
            enricher = self.enricher
            enricher.failed_rows += 1
            enricher.last_failure = "%s: %s" % (type(error).__name__, error)
            values = dict(_CONSTANT_OUTPUTS, risk_score=str(enricher.base), risk_reasons=[_FALLBACK_REASON],
                          allowlisted="false")
            allowlisted = False
            redactions = [(index, MASK) for index, _ in self.redacted_columns if row[index]]
        return self.layout(values, redactions, allowlisted)

    def score(self, row):
        enricher = self.enricher
        process_values = self.reader("process")(row)
        invocation = parse(process_values[0] if process_values else "")
        facts = {
            "ngrok_subcommand": [invocation.subcommand] if invocation.subcommand else [],
            "ngrok_action": [invocation.action] if invocation.action else [],
            "ngrok_target": [invocation.target] if invocation.target else [],
            "ngrok_target_port": [invocation.target_port] if invocation.target_port else [],
            "ngrok_arguments": [invocation.arguments] if invocation.arguments else [],
            "ngrok_paths": list(invocation.paths) + self.reader("process_path")(row),
            "ngrok_authtoken_present": ["true" if invocation.has_authtoken else "false"],
        }
        lowered_cache = {}

        def lowered_values_of(field):
            values = lowered_cache.get(field)
            if values is None:
                raw = facts[field] if field in facts else self.reader(field)(row)
                values = lowered_cache[field] = [value.lower() for value in raw]
            return values

        score, reasons = enricher.base, []
        if enricher.modifiers is not None:
            delta, reasons = enricher.modifiers.evaluate(lowered_values_of)
            score = clamp(enricher.base + delta)
        entry = enricher.allowlist.match(lowered_values_of) if enricher.allowlist is not None else None

        values = dict(_CONSTANT_OUTPUTS)
        values.update(
            risk_score=str(score),
            risk_reasons=reasons,
            allowlisted="true" if entry else "false",
            allowlist_reason=entry.reason if entry else "",
            ngrok_subcommand=invocation.subcommand,
            ngrok_target=invocation.target,
        )
        redacting = self.settings.redact

        def value_of(name):
            if name in values:
                return values[name]
            found = self.reader(name)(row)
            return [redact(value) for value in found] if redacting else found

        message = render(self.settings.message, value_of)
        values["risk_message"] = redact(message) if redacting else message
        return values, entry is not None

    def redactions(self, row):
        changes = []
        for index, is_mv in self.redacted_columns:
            original = row[index]
            if not original:
                continue
            if is_mv:
                # Mask inside each value, then re-encode, so the multivalue structure survives.
                masked = encode_mv([redact(value) for value in decode_mv(original)])
            else:
                masked = redact(original)
            if masked != original:
                changes.append((index, masked))
        return changes

    def layout(self, values, redactions, allowlisted):
        tail, overwrites = [], list(redactions)
        for column, position in self.positions:
            if column.startswith("__mv_"):
                value = values.get(column[5:], "")
                text = encode_mv(value) if isinstance(value, list) else ""
            else:
                value = values.get(column, "")
                text = "\n".join(value) if isinstance(value, list) else value
            if position >= self.width:
                tail.append(text)
            else:
                overwrites.append((position, text))
        return _Outcome(tail, tuple(overwrites), allowlisted)
