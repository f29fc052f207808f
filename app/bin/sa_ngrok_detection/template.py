"""Renders risk messages from ``$field$`` templates, the way Splunk's risk and notable actions do.

One pass only: a value that itself contains ``$name$`` is inserted as text and never expanded again, so field
values an attacker controls cannot pull other fields into the message.
"""

import re

from .identity import UNKNOWN, is_identity

_TOKEN = re.compile(r"\$([A-Za-z_][\w.:-]*)\$")
_DOLLARS = re.compile(r"\$+")
_NAME_CHARACTER = re.compile(r"[\w.:-]")


def template_fields(template):
    """The field names a template refers to, in order of first use."""
    seen = []
    for name in _TOKEN.findall(template):
        if name not in seen:
            seen.append(name)
    return tuple(seen)


def split_template(template):
    """[(literal text, field name or None), ...]: the template cut once, to be filled in for many rows."""
    parts, position = [], 0
    for match in _TOKEN.finditer(template):
        parts.append((template[position:match.start()], match.group(1)))
        position = match.end()
    parts.append((template[position:], None))
    return parts


def stray_dollars(template):
    """The text around each ``$`` that is not part of a ``$name$`` token, in order: ``$risk_score on $dest``
    gives ["$risk_score", "$dest"]. Such text is shown as written, which is rarely what the author meant."""
    found, seen = [], set()
    for literal, _ in split_template(template):
        end = 0
        for match in _DOLLARS.finditer(literal):
            # Widen to the name-like text on both sides; each character is looked at a bounded number of times.
            start = match.start()
            while start > end and _NAME_CHARACTER.match(literal, start - 1):
                start -= 1
            end = match.end()
            while end < len(literal) and _NAME_CHARACTER.match(literal, end):
                end += 1
            text = literal[start:end]
            if text not in seen:
                seen.add(text)
                found.append(text)
    return found


def mistakes(template, known_fields):
    """One warning naming the template's likely mistakes, or None: tokens naming none of ``known_fields`` (they
    render as "unknown" unless the results happen to have such a field) and ``$`` signs without their pair."""
    problems = []
    unknown = ["$%s$" % name for name in template_fields(template) if name not in known_fields]
    if len(unknown) == 1:
        problems.append("%s is not a field of the detection's results or of ngrokscore's output: it renders as "
                        "\"%s\" unless the results have a field of that name" % (_listed(unknown), UNKNOWN))
    elif unknown:
        problems.append("%s are not fields of the detection's results or of ngrokscore's output: they render as "
                        "\"%s\" unless the results have fields of those names" % (_listed(unknown), UNKNOWN))
    stray = stray_dollars(template)
    if len(stray) == 1:
        problems.append("%s lacks a closing or opening $ and is shown as written (a field is written $name$)"
                        % _listed(stray))
    elif stray:
        problems.append("%s lack a closing or opening $ and are shown as written (a field is written $name$)"
                        % _listed(stray))
    return "; ".join(problems) if problems else None


def _listed(items, at_most=5, width=60):
    """Items for a message: a few, each cut short, so a pathological template cannot flood the search's messages."""
    shown = ", ".join(item if len(item) <= width else item[:width - 3] + "..." for item in items[:at_most])
    return shown + (" and %d more" % (len(items) - at_most) if len(items) > at_most else "")


def render(template, value_of):
    """Substitutes every ``$name$`` with ``value_of(name)``.

    ``value_of`` returns a string, a list of strings (joined with ", ") or None. Missing values and values that are
    not identities (empty, ``null``, ``-``, ``N/A``, ``unknown``: ``identity.is_identity``) render as "unknown".
    """

    pieces = []
    for literal, field in split_template(template):
        pieces.append(literal)
        if field is not None:
            value = value_of(field)
            if isinstance(value, (list, tuple)):
                value = ", ".join(item for item in value if is_identity(item))
            pieces.append(value if is_identity(value) else UNKNOWN)
    return "".join(pieces)
