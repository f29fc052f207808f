"""Risk score modifiers: the shipped defaults (``lookups/ngrok_risk_modifiers_default_<sha>.csv``) with the admin's
overrides (``lookups/ngrok_risk_modifiers.csv``, never shipped) on top.

Each row names a ``field`` of the result (or a fact ngrokscore derives from the ngrok command line, see FACTS),
``patterns`` (case-insensitive ``*`` wildcards separated by ``|``), a ``score`` delta from -100 to 100, the
``reason`` phrase added to ``risk_reasons`` when it applies, and ``enabled``. A modifier applies once when any value
of the field matches any of its patterns.
"""

from .lookup_files import MODIFIER_DEFAULTS_FILE, MODIFIER_OVERRIDES_FILE, Problem, parse_bool, read_rows
from .wildcard import Pattern

REQUIRED_COLUMNS = ("modifier", "field", "patterns", "score", "reason")

# Facts derived from the ngrok command line that modifiers can test, besides the result's own fields.
FACTS = {
    "ngrok_subcommand": "the ngrok verb (tcp, http, tls, start, service, config, authtoken, version, help, ...)",
    "ngrok_action": "the verb with its action word where it has one (service install, config check), else the verb",
    "ngrok_target": "what the tunnel exposes, as written (22, localhost:8080)",
    "ngrok_target_port": "the port the tunnel exposes (22 for 'tcp 22' or 'tcp localhost:22')",
    "ngrok_arguments": "the verb, its words, then every flag spelled --name (v2 -all reads --all), single-spaced",
    "ngrok_paths": "the binary's path when it has a directory, the process_path field, and every --config file",
    "ngrok_authtoken_present": "true when an authtoken or API key is on the command line or in its environment",
    "ngrok_renamed": "true when the ngrok agent runs under another program name (renamed or disguised binary)",
}

# Result fields a modifier may test: the CIM Endpoint.Processes fields ngrokscore knows.
# The detection's search (upstream version 10) groups by the 20 standard fields, all of them here.
ROW_FIELDS = (
    "dest", "user", "parent_process_name", "parent_process", "parent_process_path", "process_name", "process",
    "process_path", "original_file_name", "process_id", "parent_process_id", "process_current_directory",
    "user_id", "process_hash", "process_integrity_level", "action", "process_exec", "parent_process_exec",
    "process_guid", "parent_process_guid", "vendor_product",
    # The network searches' fields: the domain looked up and its role and era from the ngrok_domains lookup.
    "query", "ngrok_domain_role", "ngrok_domain_era",
)


class Modifier(object):
    __slots__ = ("name", "field", "patterns", "score", "reason")

    def __init__(self, name, field, patterns, score, reason):
        self.name, self.field, self.patterns, self.score, self.reason = name, field, patterns, score, reason

    def applies(self, lowered_values):
        return any(pattern.matches(value) for value in lowered_values for pattern in self.patterns)


class ModifierTable(object):
    def __init__(self, file_name, modifiers=(), errors=()):
        self.file_name = file_name
        self.modifiers = list(modifiers)
        self.errors = list(errors)
        self.fields = tuple(sorted({modifier.field for modifier in self.modifiers}))

    def evaluate(self, lowered_values_of):
        """Returns (total delta, [reason, ...]) for a row, in table order."""
        delta, reasons = 0, []
        for modifier in self.modifiers:
            if modifier.applies(lowered_values_of(modifier.field)):
                delta += modifier.score
                reasons.append(modifier.reason)
        return delta, reasons


def load(file_name, lookups_dir=None):
    """Reads one modifier table. Never raises: problems end up in ``ModifierTable.errors``."""
    rows, errors = _read(file_name, lookups_dir)
    return ModifierTable(file_name, [modifier for _, modifier in rows if modifier is not None], errors)


def load_tuned(overrides_file=MODIFIER_OVERRIDES_FILE, lookups_dir=None):
    """The shipped defaults with the admin's overrides on top, matched by modifier name.

    An override row replaces the default of the same name (``enabled=false`` with just the name switches a default
    off); a new name adds a modifier after the defaults. The overrides file is absent until an admin creates it.
    """
    defaults, errors = _read(MODIFIER_DEFAULTS_FILE, lookups_dir)
    overrides, override_errors = _read(overrides_file, lookups_dir)
    merged = dict(defaults)  # insertion order: the defaults' order, then new names in the overrides' order
    merged.update(overrides)
    return ModifierTable("%s over %s" % (overrides_file, MODIFIER_DEFAULTS_FILE),
                         [modifier for modifier in merged.values() if modifier is not None], errors + override_errors)


def _read(file_name, lookups_dir):
    """([(name, Modifier, or None when disabled)] in file order, [error, ...])."""
    rows, errors, names = [], [], set()
    try:
        for line, row in read_rows(file_name, REQUIRED_COLUMNS, lookups_dir):
            where = "%s line %d" % (file_name, line)
            if None in row:
                errors.append("%s: %s; modifier ignored" % (where, row[None]))
                continue
            name = row["modifier"].strip()
            field = row["field"].strip()
            enabled = parse_bool(row.get("enabled", "true") or "true")
            problem = None
            if not name:
                problem = "the modifier name is empty"
            elif name in names:
                problem = "modifier %r is defined twice" % name
            elif enabled is False:
                names.add(name)  # a switched-off modifier needs only its name
                rows.append((name, None))
                continue
            elif field not in FACTS and field not in ROW_FIELDS:
                problem = "field %r is not one ngrokscore knows (%s)" % (field, ", ".join(sorted(FACTS) + list(ROW_FIELDS)))
            elif enabled is None:
                problem = "enabled %r is not true or false" % row.get("enabled")
            patterns = [Pattern(text.strip()) for text in row["patterns"].split("|") if text.strip()]
            if problem is None and not patterns:
                problem = "patterns is empty"
            try:
                score = int(row["score"].strip())
                if not -100 <= score <= 100:
                    raise ValueError
            except ValueError:
                problem = problem or "score %r is not a whole number from -100 to 100" % row["score"]
            reason = row["reason"].strip()
            if problem is None and not reason:
                problem = "the reason is empty"
            if problem:
                errors.append("%s: %s; modifier ignored" % (where, problem))
                continue
            names.add(name)
            rows.append((name, Modifier(name, field, tuple(patterns), score, reason)))
    except Problem as problem:
        errors.append(str(problem) + ("; modifiers read before it still apply" if rows else ""))
    return rows, errors
