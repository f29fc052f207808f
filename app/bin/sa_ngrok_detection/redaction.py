"""Masks ngrok secrets in command lines and messages.

Covers every way ngrok takes an account credential on a command line or in a shell environment:
``--authtoken X``, ``--authtoken=X``, ``-authtoken X`` (v2), ``authtoken X`` (v2 verb), ``config add-authtoken X``,
``--api-key X``, ``config add-api-key X``, ``NGROK_AUTHTOKEN=X`` and ``NGROK_API_KEY=X``; and the tunnel secrets
that protect what a tunnel exposes: ``--basic-auth user:pass`` (v2 ``-auth``), ``--oauth-client-secret``,
``--oidc-client-secret``, ``--verify-webhook-secret``. Any letter case, the value bare, single- or double-quoted.
The value is replaced, the keyword kept, so analysts still see that a credential was given.
"""

import re

MASK = "********"

_VALUE = r"""(?P<value>"[^"]*"?|'[^']*'?|[^\s"'&;|]+)"""
_SECRET = re.compile(
    r"(?P<key>"
    r"(?<![\w-])--?(?:authtoken|api-key|basic-auth|auth|oauth-client-secret|oidc-client-secret"
    r"|verify-webhook-secret)(?:\s*=\s*|\s+)"  # --authtoken X, --authtoken=X, -authtoken X, --basic-auth u:p
    r"|(?<![\w-])add-(?:authtoken|api-key)\s+"  # config add-authtoken X
    r"|(?<![\w-])authtoken\s+"  # v2: ngrok authtoken X
    r"|(?<!\w)NGROK_(?:AUTHTOKEN|API_KEY)\s*=\s*"  # environment
    r")" + _VALUE,
    re.IGNORECASE,
)


def _mask(match):
    value = match.group("value")
    if value.startswith("-"):
        # A flag, not a secret ("ngrok config add-authtoken --help").
        return match.group(0)
    quote = value[0] if value[0] in "\"'" else ""
    closing = quote if quote and len(value) > 1 and value.endswith(quote) else ""
    return match.group("key") + quote + MASK + closing


def redact(text):
    """Returns ``text`` with every ngrok secret masked; text without one comes back unchanged (same object)."""
    if not text:
        return text
    lowered = text.lower()
    if "auth" not in lowered and "api" not in lowered and "secret" not in lowered:
        return text
    return _SECRET.sub(_mask, text)
