"""Masks ngrok secrets in command lines and messages.

Covers every way ngrok takes an account credential on a command line or in a shell environment:
``--authtoken X``, ``--authtoken=X``, ``-authtoken X`` (v2), ``authtoken X`` (v2 verb), ``config add-authtoken X``,
``--api-key X``, ``config add-api-key X``, ``NGROK_AUTHTOKEN=X`` and ``NGROK_API_KEY=X``; and the tunnel secrets
that protect what a tunnel exposes: ``--basic-auth user:pass`` (v2 ``-auth``), ``--oauth-client-secret``,
``--oidc-client-secret``, ``--verify-webhook-secret``. Any letter case; the value bare, quoted, partly quoted or
with backslash escapes (the whole shell word is masked). For the positional forms (``add-authtoken``, the v2
``authtoken`` verb) the secret is the first word after the keyword that is not a flag or a flag's value.
The value is replaced, the keyword kept, so analysts still see that a credential was given.
"""

import re

from .ngrok_cmdline import VALUE_FLAGS

MASK = "********"

# One shell word: quoted parts, backslash escapes and plain characters, up to whitespace or a shell operator.
_WORD_TEXT = r"""(?:\\.|"[^"]*(?:"|$)|'[^']*(?:'|$)|[^\s"'\\&;|<>])+"""
_VALUE = r"(?P<value>(?!-)" + _WORD_TEXT + ")"
_FLAG_SECRET = re.compile(
    r"(?P<key>(?<![\w-])--?(?:authtoken|api-key|basic-auth|auth|oauth-client-secret|oidc-client-secret"
    r"|verify-webhook-secret)(?:\s*=\s*|\s+))" + _VALUE,
    re.IGNORECASE,
)
_ENV_SECRET = re.compile(r"(?P<key>(?<!\w)NGROK_(?:AUTHTOKEN|API_KEY)\s*=\s*)" + _VALUE, re.IGNORECASE)
_POSITIONAL_KEYWORD = re.compile(r"(?<![\w-])(?:add-authtoken|add-api-key|authtoken)(?=\s)", re.IGNORECASE)
_WORD = re.compile(_WORD_TEXT + r"|[&;|<>]+")


def _masked(value):
    """A word's replacement: keep its quotes so the command line still reads as written."""
    if value[0] not in "\"'":
        return MASK
    closed = len(value) > 1 and value[-1] == value[0]
    return value[0] + MASK + (value[0] if closed else "")


def _positional_spans(text):
    """(start, end) of each secret given as a positional word after add-authtoken / add-api-key / authtoken."""
    spans = []
    for keyword in _POSITIONAL_KEYWORD.finditer(text):
        expect_flag_value = False
        for word in _WORD.finditer(text, keyword.end()):
            value = word.group(0)
            if value[0] in "&;|<>":
                break  # the command ended without a secret
            if expect_flag_value:
                expect_flag_value = False
                continue
            if value.startswith("-") and len(value) > 1:
                name, equals, _ = value.lstrip("-").partition("=")
                expect_flag_value = not equals and name.lower() in VALUE_FLAGS
                continue
            spans.append((word.start(), word.end()))
            break
    return spans


def redact(text):
    """Returns ``text`` with every ngrok secret masked; text without one comes back unchanged (same object)."""
    if not text:
        return text
    lowered = text.lower()
    if "auth" not in lowered and "api" not in lowered and "secret" not in lowered:
        return text
    spans = [match.span("value") for pattern in (_FLAG_SECRET, _ENV_SECRET) for match in pattern.finditer(text)]
    spans += _positional_spans(text)
    if not spans:
        return text
    pieces, position = [], 0
    for start, end in sorted(set(spans)):
        if start < position:
            continue  # overlapping spans of the same secret
        pieces.append(text[position:start])
        pieces.append(_masked(text[start:end]))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
