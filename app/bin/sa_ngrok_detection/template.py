"""Renders risk messages from ``$field$`` templates, the way Splunk's risk and notable actions do.

One pass only: a value that itself contains ``$name$`` is inserted as text and never expanded again, so field
values an attacker controls cannot pull other fields into the message.
"""

import re

from .identity import UNKNOWN, is_identity
_TOKEN = re.compile(r"\$([A-Za-z_][\w.:-]*)\$")


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
