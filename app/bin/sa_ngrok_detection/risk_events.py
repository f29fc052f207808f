"""Risk events as Splunk Enterprise Security's risk framework reads them, built from the detection's results.

One event per risk object: each value of ``dest`` (type ``system``) and of ``user`` (type ``user``). Each carries
the row's score (``risk_score`` from ngrokscore when valid, else the configured default), its risk message (secrets
masked), the threat objects (``parent_process_name``, ``process_name``), the MITRE annotations, and where it came
from (``search_name``, ``orig_sid``, ``orig_rid``). Events are written in the ``stash`` format summary indexing and
ES use: a timestamp, then ``key="value"`` pairs, events separated by the stash line breaker.
"""

import re
import time

from . import detection
from .redaction import redact, redact_values
from .template import render

# Splunk's stash sourcetype breaks events on this line (props.conf [stash] LINE_BREAKER).
STASH_BREAKER = "==##~~##~~  1E8N3D4E6V5E7N2T9 ~~##~~##=="
RISK_OBJECTS = (("dest", "system"), ("user", "user"))
THREAT_OBJECTS = (("parent_process_name", "parent_process_name"), ("process_name", "process_name"))
_SCORE = re.compile(r"^\d{1,3}$", re.ASCII)
_NEWLINES = re.compile(r"[\r\n]+")


def _values(row, field):
    value = row.get(field)
    if isinstance(value, (list, tuple)):
        return [item for item in value if item]
    return [value] if value else []


class RiskEventBuilder(object):
    """Turns result rows into risk events (lists of (key, value) pairs, values str or list of str)."""

    def __init__(self, search_name, sid, default_score):
        self.search_name = search_name or "ad hoc: " + detection.DETECTION_NAME
        self.sid = sid
        self.default_score = default_score

    def score_of(self, row):
        values = _values(row, "risk_score")
        if len(values) == 1 and _SCORE.match(values[0]) and int(values[0]) <= 100:
            return values[0]
        return str(self.default_score)

    def message_of(self, row):
        messages = _values(row, "risk_message")
        message = messages[0] if messages else render(detection.DEFAULT_MESSAGE, lambda name: _values(row, name))
        return redact(message)

    def events(self, row, rid):
        """The risk events of one result row (an empty list when it names no risk object)."""
        shared = [("risk_score", self.score_of(row)), ("risk_message", self.message_of(row))]
        threats, threat_types = [], []
        for field, kind in THREAT_OBJECTS:
            for value in _values(row, field):
                threats.append(value)
                threat_types.append(kind)
        if threats:
            shared += [("threat_object", threats), ("threat_object_type", threat_types)]
        shared += [
            ("search_name", self.search_name),
            ("orig_sid", self.sid),
            ("orig_rid", str(rid)),
            ("annotations.mitre_attack.mitre_technique_id", [tid for tid, _ in detection.MITRE_TECHNIQUES]),
            ("annotations.mitre_attack.mitre_tactic", detection.MITRE_TACTIC),
            ("annotations.mitre_attack.mitre_tactic_id", detection.MITRE_TACTIC_ID),
            ("annotations.analytic_story", detection.ANALYTIC_STORY),
            ("annotations.kill_chain_phases", detection.KILL_CHAIN_PHASE),
            ("detection_id", detection.DETECTION_ID),
        ]
        # The finding's own fields, for analysts (dest and user are the risk objects: not repeated in every event).
        for field in ("parent_process_name", "process_name", "process", "ngrok_subcommand", "ngrok_target",
                      "allowlisted", "risk_score_breakdown"):
            values = _values(row, field)
            if values:
                shared.append((field, redact_values(values) if field == "process" else values))
        events = []
        for field, kind in RISK_OBJECTS:
            for value in _values(row, field):
                events.append([("risk_object", value), ("risk_object_type", kind)] + shared)
        return events


def _quoted(value):
    value = _NEWLINES.sub(" ", value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + value.replace(STASH_BREAKER, "") + '"'


def stash_text(event, when=None):
    """One event in stash format: ``MM/DD/YYYY HH:MM:SS +0000, key="value", ...``; list values repeat the key."""
    stamp = time.strftime("%m/%d/%Y %H:%M:%S +0000", time.gmtime(when if when is not None else time.time()))
    pairs = []
    for key, value in event:
        for item in (value if isinstance(value, list) else [value]):
            pairs.append("%s=%s" % (key, _quoted(item)))
    return stamp + ", " + ", ".join(pairs)


def stash_batch(texts):
    """Events joined so that the stash line breaker splits them again."""
    return ("\n" + STASH_BREAKER + "\n").join(texts) + "\n"
