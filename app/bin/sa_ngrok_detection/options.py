"""ngrokscore's options: names, defaults, and validation with messages that say what is allowed."""

import re
from collections import namedtuple

from . import detection
from .fields import ALIASES
from .lookup_files import is_plain_csv_name, parse_bool
from .modifiers import ROW_FIELDS
from .template import mistakes

Settings = namedtuple("Settings", "impact confidence message modifiers allowlist on_allowlist redact")

DEFAULTS = {
    "impact": str(detection.DEFAULT_IMPACT),
    "confidence": str(detection.DEFAULT_CONFIDENCE),
    "message": detection.DEFAULT_MESSAGE,
    "modifiers": "true",
    "allowlist": detection.DEFAULT_ALLOWLIST,
    "on_allowlist": "mark",
    "redact": "true",
}
OPTION_NAMES = tuple(DEFAULTS)
NO_ALLOWLIST = "none"
_WHOLE_NUMBER = re.compile(r"^\+?\d{1,3}$", re.ASCII)


# Fields a message template may name without a warning: ngrokscore's output, every column it reads the detection's
# fields from (CIM names, the Processes. prefix, Sysmon for Linux names), the other CIM process fields, the
# detection search's own columns and Splunk's default fields.
KNOWN_MESSAGE_FIELDS = frozenset(
    detection.OUTPUT_FIELDS
    + tuple(ALIASES)
    + tuple(name for names in ALIASES.values() for name in names)
    + ROW_FIELDS
    + tuple("Processes." + field for field in ROW_FIELDS)
    + ("count", "firstTime", "lastTime")
    + ("_time", "_raw", "host", "source", "sourcetype", "index", "splunk_server", "eventtype", "tag")
)


class OptionError(ValueError):
    """A bad option value; the message names the option, the value and what is allowed."""

    def __init__(self, name, value, allowed):
        ValueError.__init__(self, "ngrokscore: invalid value %s=%r; %s" % (name, value, allowed))


def _percent(name, value):
    text = value.strip()
    if _WHOLE_NUMBER.match(text) and int(text) <= 100:
        return int(text)
    raise OptionError(name, value, "expected a whole number from 0 to 100")


def _boolean(name, value):
    parsed = parse_bool(value)
    if parsed is None:
        raise OptionError(name, value, "expected true or false")
    return parsed


def validate(given):
    """Turns ``{option: text}`` (only the options given) into Settings; raises OptionError on the first bad one."""
    values = dict(DEFAULTS)
    values.update((name, "" if value is None else str(value)) for name, value in given.items())
    message = values["message"]
    if not message.strip():
        raise OptionError("message", message, "expected a non-empty template such as \"%s\"" % detection.DEFAULT_MESSAGE)
    allowlist = values["allowlist"].strip()
    if allowlist.lower() == NO_ALLOWLIST:
        allowlist = None
    elif not is_plain_csv_name(allowlist):
        raise OptionError("allowlist", values["allowlist"],
                          "expected the plain file name of a .csv lookup in this app's lookups folder "
                          "(no folders or '..'), or none")
    on_allowlist = values["on_allowlist"].strip().lower()
    if on_allowlist not in ("mark", "drop"):
        raise OptionError("on_allowlist", values["on_allowlist"], "expected mark or drop")
    return Settings(
        impact=_percent("impact", values["impact"]),
        confidence=_percent("confidence", values["confidence"]),
        message=message,
        modifiers=_boolean("modifiers", values["modifiers"]),
        allowlist=allowlist,
        on_allowlist=on_allowlist,
        redact=_boolean("redact", values["redact"]),
    )


def repeated(args):
    """The options given more than once in ``args`` (the search's option words, ``name=value``), as
    [(name, [value, ...]), ...] in order of first use. Splunk would otherwise keep the last value silently."""
    values = {}
    for arg in args:
        name, equals, value = str(arg).partition("=")
        if equals and name in DEFAULTS:
            values.setdefault(name, []).append(value)
    return [(name, given) for name, given in values.items() if len(given) > 1]


def repeated_error(args):
    """The error for options given more than once, or None when each is given at most once."""
    found = repeated(args)
    if not found:
        return None
    return "ngrokscore: %s given more than once: %s; give each option once" % (
        "option %s is" % found[0][0] if len(found) == 1 else "options %s are" % ", ".join(name for name, _ in found),
        "; ".join(", ".join("%s=%r" % (name, value if len(value) <= 60 else value[:57] + "...") for value in given)
                  for name, given in found))


def message_warning(message):
    """A warning naming likely mistakes in a message template (see template.mistakes), or None."""
    found = mistakes(message, KNOWN_MESSAGE_FIELDS)
    return "ngrokscore: check the message template: " + found if found else None
