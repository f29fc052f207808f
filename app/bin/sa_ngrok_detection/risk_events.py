"""Risk events as Splunk Enterprise Security's risk framework reads them, built from the detection's results.

One event per risk object: each value of ``dest`` (type ``system``) and of ``user`` (type ``user``) that is an
identity (``identity.is_identity``: ``null``, ``-``, ``N/A``, ``unknown`` and empty are not). Each carries a stable
``risk_event_id`` (the same search, result and risk object always give the same id, so a batch indexed twice can be
counted once), the row's score (``risk_score`` from ngrokscore when valid, else the configured default), its risk
message (secrets masked), the threat objects, the MITRE annotations and ``detection_id`` of the search that raised it,
and where it came from (``search_name``, ``orig_sid``, ``orig_rid``). The search is found by the alert's
``search_name`` (``detection.search_named``): the process searches give ``parent_process_name`` and ``process_name``
as threat objects, the DNS and network-traffic searches ``query`` (type ``domain``); placeholders such as ``null``
are not threat objects either. An ad hoc run (no search name) or a search of another name is described as the
upstream detection.

The text format is Splunk's stash format: a timestamp, then ``key="value"`` pairs separated by ``, ``; events are
separated by the stash line breaker and posted with sourcetype ``stash_new``. Splunk's default props.conf
(``$SPLUNK_HOME/etc/system/default/props.conf``, 8.x to 10.x) gives ``[stash_new]`` ``SHOULD_LINEMERGE = false`` and
``LINE_BREAKER = (\\r?\\n==##~~##~~  1E8N3D4E6V5E7N2T9 ~~##~~##==\\r?\\n)`` and a transform
(``set_sourcetype_to_stash``) that rewrites the sourcetype to ``stash`` before indexing; ``[stash]`` itself has no
breaker (it merges lines before dates) and extracts fields at search time with ``REPORT-1 = stash_extract``
(transforms.conf: ``DELIMS = ",", "="``, ``MV_ADD = true``, ``CLEAN_KEYS = false``).

Values are written so that every way Splunk may read them gives the same fields: ``stash_extract``'s DELIMS
(which honours ``\\"`` escapes), ``KV_MODE = auto_escaped`` (honours ``\\"`` and ``\\\\``) and plain ``KV_MODE = auto``
(honours no escape, so a ``\\"`` inside a value would end it and let the rest inject fields). A value therefore never
holds a double quote or a backslash: they are written as the full-width look-alikes U+FF02 and U+FF3C. Control
characters and line breaks become spaces (a value never spans lines, so it can never hold the line breaker), text
that is not valid Unicode (lone surrogates) becomes U+FFFD, and each value is capped (see the caps below), never
inside a secret mask.
"""

import re
import time
import uuid

from . import detection
from .identity import is_identity
from .redaction import redact, redact_values
from .template import render

# Splunk's stash_new sourcetype breaks events on this line (props.conf [stash_new] LINE_BREAKER).
STASH_BREAKER = "==##~~##~~  1E8N3D4E6V5E7N2T9 ~~##~~##=="
SOURCETYPE = "stash_new"  # indexed as "stash" (props.conf [stash_new] TRANSFORMS-sourcetype)
RISK_OBJECTS = (("dest", "system"), ("user", "user"))
# The finding's own fields, copied for analysts (dest and user are the risk objects: not repeated in every event).
COPIED_FIELDS = ("parent_process_name", "process_name", "process", "ngrok_subcommand", "ngrok_target", "allowlisted",
                 "risk_score_breakdown")

# Caps on what one risk event carries (README "Risk events"): a risk event summarises a finding, the finding itself
# stays searchable in the source data.
MAX_MESSAGE_CHARS = 2000  # risk_message
MAX_VALUE_CHARS = 1000  # any other single value (risk objects, process, threat objects ...)
MAX_VALUES = 20  # values of one multivalue field (threat objects, copied fields) in one event
TRUNCATED = "...[truncated]"

# uuid5 namespace of risk_event_id: fixed forever, or ids change between versions.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/SA-ngrok-detection/risk_event_id")
_SCORE = re.compile(r"^\d{1,3}$", re.ASCII)
_UNSAFE = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029\ud800-\udfff\"\\\\]")
_REPLACEMENT = {'"': "\uff02", "\\": "\uff3c"}


def _values(row, field):
    value = row.get(field)
    if isinstance(value, (list, tuple)):
        return [item for item in value if item]
    return [value] if value else []


def _safe_char(match):
    char = match.group()
    if char in _REPLACEMENT:
        return _REPLACEMENT[char]
    return "\ufffd" if "\ud800" <= char <= "\udfff" else " "


def clean(text):
    """A value as a risk event can carry it whatever reads it: see the module's docstring."""
    text = _UNSAFE.sub(_safe_char, text)
    return text.replace(STASH_BREAKER, "") if STASH_BREAKER in text else text


def cap(text, limit):
    """``text`` cut to at most ``limit`` characters (marked as truncated), never inside a mask such as
    ``********``: the cut moves back to the start of a run of asterisks rather than split it."""
    if len(text) <= limit:
        return text
    cut = max(0, limit - len(TRUNCATED))
    while 0 < cut < len(text) and text[cut - 1] == "*" and text[cut] == "*":
        cut -= 1
    return text[:cut] + TRUNCATED


def risk_event_id(sid, rid, risk_object_type, risk_object):
    """Stable id of one risk event: the same search (sid), result (row id) and risk object always give the same."""
    return str(uuid.uuid5(_ID_NAMESPACE, "\x1f".join((sid, str(rid), risk_object_type, risk_object))))


class RiskEventBuilder(object):
    """Turns result rows into risk events (lists of (key, value) pairs, values str or list of str)."""

    def __init__(self, search_name, sid, default_score):
        self.search_name = search_name or "ad hoc: " + detection.DETECTION_NAME
        self.sid = sid
        self.default_score = default_score
        search = detection.search_named(search_name)
        self.threat_objects = search.threat_objects
        self.default_message = search.message  # for rows that ngrokscore has not scored
        self._constant = [
            ("search_name", cap(clean(self.search_name), MAX_VALUE_CHARS)),
            ("orig_sid", cap(clean(sid), MAX_VALUE_CHARS)),
        ]
        self._annotations = [
            ("annotations.mitre_attack.mitre_technique_id", [tid for tid, _ in search.mitre_techniques]),
            ("annotations.mitre_attack.mitre_tactic", detection.MITRE_TACTIC),
            ("annotations.mitre_attack.mitre_tactic_id", detection.MITRE_TACTIC_ID),
            ("annotations.analytic_story", detection.ANALYTIC_STORY),
            ("annotations.kill_chain_phases", detection.KILL_CHAIN_PHASE),
            ("detection_id", search.id),
        ]

    def score_of(self, row):
        values = _values(row, "risk_score")
        if len(values) == 1 and _SCORE.match(values[0]) and int(values[0]) <= 100:
            return values[0]
        return str(self.default_score)

    def message_of(self, row):
        messages = _values(row, "risk_message")
        message = messages[0] if messages else render(self.default_message, lambda name: _values(row, name))
        return cap(clean(redact(message)), MAX_MESSAGE_CHARS)

    def risk_objects(self, row):
        """[(field, risk_object_type, value)] of the row: every identity in dest and user, in order."""
        return [(field, kind, value) for field, kind in RISK_OBJECTS for value in _values(row, field)
                if is_identity(value)]

    def events(self, row, rid, risk_objects=None):
        """The risk events of one result row (an empty list when it names no risk object)."""
        risk_objects = self.risk_objects(row) if risk_objects is None else risk_objects
        if not risk_objects:
            return []
        shared = [("risk_score", self.score_of(row)), ("risk_message", self.message_of(row))]
        threats, threat_types = [], []
        for field, kind in self.threat_objects:
            for value in [value for value in _values(row, field) if is_identity(value)][:MAX_VALUES]:
                threats.append(cap(clean(redact(value)), MAX_VALUE_CHARS))
                threat_types.append(kind)
        if threats:
            shared += [("threat_object", threats), ("threat_object_type", threat_types)]
        shared += self._constant + [("orig_rid", str(rid))] + self._annotations
        for field in COPIED_FIELDS:
            values = _values(row, field)[:MAX_VALUES]
            if values:
                masked = redact_values(values) if field == "process" else [redact(value) for value in values]
                shared.append((field, [cap(clean(value), MAX_VALUE_CHARS) for value in masked]))
        return [[("risk_event_id", risk_event_id(self.sid, rid, kind, value)),
                 ("risk_object", cap(clean(value), MAX_VALUE_CHARS)), ("risk_object_type", kind)] + shared
                for _, kind, value in risk_objects]


def stash_text(event, when=None):
    """One event in stash format: ``MM/DD/YYYY HH:MM:SS +0000, key="value", ...``; list values repeat the key.
    Values must already be clean (``clean``); the builder's are."""
    stamp = time.strftime("%m/%d/%Y %H:%M:%S +0000", time.gmtime(when if when is not None else time.time()))
    pairs = []
    for key, value in event:
        for item in (value if isinstance(value, list) else [value]):
            pairs.append('%s="%s"' % (key, item))
    return stamp + ", " + ", ".join(pairs)


STASH_SEPARATOR = ("\n" + STASH_BREAKER + "\n").encode("ascii")


def stash_body(encoded_events):
    """The body of one request: UTF-8 encoded events joined so that the stash_new line breaker splits them again."""
    return STASH_SEPARATOR.join(encoded_events) + b"\n"
