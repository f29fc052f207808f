"""The ``risk_score_breakdown`` field: how a risk score was reached, in one line an analyst can check by hand.

    base 50 +30 remote_admin_port +15 temporary_path +20 suspicious_parent = 115, capped at 100

The base (impact x confidence / 100), then each applied modifier's points and its name as written in the
``modifier`` column of ``ngrok_risk_modifiers.csv`` (so an admin can find the row to tune), in table order, then
the total and, when it falls outside 0-100, the clamp. ``risk_reasons`` keeps the prose reasons, without points, so
that searches filtering on a reason keep working.
"""

MODIFIERS_OFF = "modifiers off"
NOT_SCORED = "not scored: internal error in ngrokscore"


def describe(base, applied=(), modifiers_on=True):
    """The breakdown for ``base`` plus ``applied``, a sequence of (modifier name, points) in table order."""
    parts = ["base %d" % base]
    total = base
    for name, points in applied:
        parts.append("%+d %s" % (points, name))
        total += points
    text = " ".join(parts) + " = %d" % total
    if total > 100:
        text += ", capped at 100"
    elif total < 0:
        text += ", raised to 0"
    if not modifiers_on:
        text += " (%s)" % MODIFIERS_OFF
    return text


def describe_unscored(base):
    """The breakdown of a row whose scoring failed and that kept the base score."""
    return "base %d = %d (%s)" % (base, base, NOT_SCORED)
