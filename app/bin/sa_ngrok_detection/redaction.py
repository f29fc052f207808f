"""Masks ngrok secrets in command lines and messages.

Covers every way ngrok takes an account credential on a command line or in a shell environment:
``--authtoken X``, ``--authtoken=X``, ``-authtoken X`` (v2), ``authtoken X`` (v2 verb), ``config add-authtoken X``,
``--api-key X``, ``config add-api-key X``, ``NGROK_AUTHTOKEN=X`` and ``NGROK_API_KEY=X``; the tunnel secrets that
protect what a tunnel exposes: ``--basic-auth user:pass`` (v2 ``-auth``), ``--oauth-client-secret``,
``--oidc-client-secret``, ``--verify-webhook-secret``; and ``Authorization:`` header values. Any letter case; the
value bare, quoted, partly quoted or with backslash escapes. A flag's value is masked up to the next whitespace,
shell characters included (Sysmon logs argv joined with spaces, unquoted, so a password may hold ``;`` or ``&``).
For the positional forms (``add-authtoken``, the v2 ``authtoken`` verb) the secret is the first word after the
keyword that is not a flag or a flag's value. The keyword is kept, so analysts still see that a credential was
given. Over-masking is preferred to a leak. Linear in the length of the text.
"""

import re

from .ngrok_cmdline import VALUE_FLAGS

MASK = "********"

# One word up to whitespace: quoted parts (which may hold spaces, but end where a joined multivalue's next value
# starts), escapes, anything else but whitespace.
_WORD_TEXT = r"""(?:"[^"\x1e]*?(?:"|$|(?=\s*\x1e))|'[^'\x1e]*?(?:'|$|(?=\s*\x1e))|\\.|[^\s"'\\])+"""
# A flag's value: whatever follows "=", or the next word unless it is another "--flag" (then the flag had no
# value); "-x" may well be a password.
_FLAG_SECRET = re.compile(
    r"(?<![\w-])--?(?:authtoken|api-key|basic-auth|auth|oauth-client-secret|oidc-client-secret"
    r"|verify-webhook-secret)(?:\s*=\s*(?P<joined>" + _WORD_TEXT + r")|\s+(?P<spaced>(?!--)" + _WORD_TEXT + "))",
    re.IGNORECASE,
)
_ENV_SECRET = re.compile(r"(?<!\w)NGROK_(?:AUTHTOKEN|API_KEY)\s*=\s*(?P<value>" + _WORD_TEXT + ")", re.IGNORECASE)
_HEADER_SECRET = re.compile(r"authorization\s*:\s*(?:(?:bearer|basic|token)\s+)?(?P<value>" + _WORD_TEXT + ")",
                            re.IGNORECASE)
_POSITIONAL_KEYWORDS = frozenset(["authtoken", "add-authtoken", "add-api-key"])
# Positional secrets are looked for word by word, quotes ignored, so that they are found inside a quoted command
# string too (bash -c 'ngrok authtoken X').
_PLAIN_WORD = re.compile(r"\S+")
_QUOTED_WORD = re.compile(_WORD_TEXT)
_OPERATOR = re.compile(r"^[;&|<>]+$")
# Values of a multivalue field are joined with this to be redacted as one text (a secret may follow its keyword
# in the next value); then split again.
_VALUE_SEPARATOR = " \n\x1e\n "


def _masked(value):
    """A word's replacement: keep its quotes so the command line still reads as written."""
    if value[0] not in "\"'":
        # X" closing an outer quote (sh -c "ngrok --authtoken X"): keep that quote.
        return MASK + value[-1] if value[-1] in "\"'" and value.count(value[-1]) % 2 else MASK
    closed = len(value) > 1 and value[-1] == value[0]
    return value[0] + MASK + (value[0] if closed else "")


def _flag_spans(text):
    for match in _FLAG_SECRET.finditer(text):
        yield match.span("joined" if match.group("joined") is not None else "spaced")


def _positional_spans(text):
    """One pass over the words: after a positional keyword, the first word that is not a flag (or a flag's value)."""
    expecting = expect_flag_value = False
    for word in _PLAIN_WORD.finditer(text):
        value = word.group(0).strip("\"'")
        if not value:
            continue
        if _OPERATOR.match(value):
            expecting = expect_flag_value = False
        elif value.lower() in _POSITIONAL_KEYWORDS:
            expecting, expect_flag_value = True, False
        elif not expecting:
            continue
        elif expect_flag_value:
            expect_flag_value = False
        elif value.startswith("-") and len(value) > 1:
            name, equals, _ = value.lstrip("-").partition("=")
            expect_flag_value = not equals and name.lower() in VALUE_FLAGS
        else:
            raw = word.group(0)
            if raw[0] in "\"'":
                yield _QUOTED_WORD.match(text, word.start()).span()  # "a b c": the whole quoted secret
            else:
                yield word.start(), word.start() + len(raw.rstrip("\"'"))  # X' closing an outer quote
            expecting = False


def redact(text):
    """Returns ``text`` with every ngrok secret masked; text without one comes back unchanged (same object)."""
    if not text:
        return text
    lowered = text.lower()
    if "auth" not in lowered and "api" not in lowered and "secret" not in lowered:
        return text
    spans = list(_flag_spans(text))
    spans += [match.span("value") for pattern in (_ENV_SECRET, _HEADER_SECRET) for match in pattern.finditer(text)]
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


def redact_values(values):
    """Redacts the values of a multivalue field together, so that ``["--authtoken", "X"]`` masks X too."""
    if len(values) < 2 or any(_VALUE_SEPARATOR in value for value in values):
        return [redact(value) for value in values]
    joined = _VALUE_SEPARATOR.join(values)
    masked = redact(joined)
    if masked is joined:
        return values
    split = masked.split(_VALUE_SEPARATOR)
    # A quote left open in one value must not merge values: then mask each value on its own.
    return split if len(split) == len(values) else [redact(value) for value in values]
