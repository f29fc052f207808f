"""Which field values name an identity (a host, a user) and which are placeholders for "nobody known".

The detection's ``tstats`` runs with ``fillnull_value=null`` (the ``security_content_summariesonly`` macro), so a
process with no user reaches the app as the text ``null``; collectors write ``-``, ``N/A``, ``unknown`` or nothing.
None of these is an identity: they are never risk objects (the findings of every host would add up on one fake
user called ``null``) and messages show them as ``unknown``.
"""

UNKNOWN = "unknown"
NOT_IDENTITIES = frozenset(["", "null", "unknown", "-", "n/a"])


def is_identity(value):
    """True when ``value`` names someone or something: not empty, ``null``, ``unknown``, ``-`` or ``N/A``
    (any case, surrounding white space ignored)."""
    if value is None:
        return False
    if not isinstance(value, str):
        value = str(value)
    return value.strip().lower() not in NOT_IDENTITIES


def shown(value):
    """``value`` as a message shows it: itself when it is an identity, else ``unknown``."""
    return value if is_identity(value) else UNKNOWN
