"""Unit tests for sa_ngrok_detection.breakdown: the risk_score_breakdown text."""

from sa_ngrok_detection.breakdown import describe, describe_unscored


def test_no_modifier_applied():
    assert describe(50) == "base 50 = 50"


def test_each_modifier_with_its_points_in_table_order_and_the_cap():
    applied = [("remote_admin_port", 30), ("temporary_path", 15), ("suspicious_parent", 20)]
    assert describe(50, applied) == ("base 50 +30 remote_admin_port +15 temporary_path +20 suspicious_parent "
                                     "= 115, capped at 100")


def test_a_total_of_exactly_100_or_0_is_not_clamped():
    assert describe(50, [("a", 30), ("b", 20)]) == "base 50 +30 a +20 b = 100"
    assert describe(40, [("informational_verb", -40)]) == "base 40 -40 informational_verb = 0"


def test_negative_points_and_the_floor():
    assert describe(20, [("informational_verb", -40)]) == "base 20 -40 informational_verb = -20, raised to 0"


def test_zero_points_are_shown_with_a_sign():
    assert describe(50, [("noted", 0)]) == "base 50 +0 noted = 50"


def test_modifiers_off_says_so():
    assert describe(80, modifiers_on=False) == "base 80 = 80 (modifiers off)"


def test_a_row_that_could_not_be_scored():
    assert describe_unscored(50) == "base 50 = 50 (not scored: internal error in ngrokscore)"
