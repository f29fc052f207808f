"""Unit tests for sa_ngrok_detection.wildcard.Pattern."""

import pytest

from sa_ngrok_detection.wildcard import Pattern


@pytest.mark.parametrize("text, literal", [("ngrok", "ngrok"), ("NGROK", "ngrok"), ("Web-01.Corp", "web-01.corp"),
                                           ("a.b", "a.b"), ("", "")])
def test_literal_pattern(text, literal):
    pattern = Pattern(text)
    assert pattern.literal == literal
    assert pattern.text == text


@pytest.mark.parametrize("text", ["*", "a*", "*a", "a*b", "**"])
def test_wildcard_pattern_has_no_literal(text):
    assert Pattern(text).literal is None


def test_repr():
    assert repr(Pattern("A*")) == "Pattern('A*')"


@pytest.mark.parametrize(
    "text, value, matched",
    [
        # the pattern is lowercased; the value must already be lowercase
        ("NGROK", "ngrok", True),
        ("ngrok", "ngrok", True),
        ("ngrok", "NGROK", False),
        ("Ngrok*", "ngrok-v3", True),
        ("A*B", "ab", True),
        ("ngrok", "ngrok ", False),
        ("ngrok", "ngrok\n", False),
        ("ngrok", "ngro", False),
    ],
)
def test_case_insensitivity(text, value, matched):
    assert Pattern(text).matches(value) is matched


@pytest.mark.parametrize(
    "text, value, matched",
    [
        ("*ngrok", "/usr/bin/ngrok", True),
        ("*ngrok", "/usr/bin/ngrok.bak", False),
        ("ngrok*", "ngrok tcp 22", True),
        ("ngrok*", "/tmp/ngrok", False),
        ("*ngrok*", "/tmp/ngrok-x", True),
        ("*ngrok*", "ngrok", True),
        ("a*c", "ac", True),
        ("a*c", "abbbc", True),
        ("a*c", "abcd", False),
        ("a*b*c", "axxbyyc", True),
        ("a*b*c", "acb", False),
        ("a*", "a", True),
        ("a*", "ba", False),
        ("*a", "ab", False),
        ("a**b", "ab", True),
        ("*.exe", "x.exe\n", False),
    ],
)
def test_star_anywhere(text, value, matched):
    assert Pattern(text).matches(value) is matched


@pytest.mark.parametrize(
    "text, literal_value, other_value",
    [
        ("a.b", "a.b", "axb"),
        ("(x)", "(x)", "x"),
        ("[0-9]", "[0-9]", "5"),
        ("a+", "a+", "aa"),
        ("a?c", "a?c", "abc"),
        ("^a$", "^a$", "a"),
        ("a|b", "a|b", "a"),
        ("a\\d", "a\\d", "a1"),
        ("a{2}", "a{2}", "aa"),
    ],
)
def test_regex_metacharacters_are_literal(text, literal_value, other_value):
    assert Pattern(text).matches(literal_value) is True
    assert Pattern(text).matches(other_value) is False
    # also with a star in the pattern (the regex path)
    assert Pattern(text + "*").matches(literal_value + "tail") is True
    assert Pattern(text + "*").matches(other_value + "tail") is False
    assert Pattern("*" + text).matches("head" + literal_value) is True
    assert Pattern("*" + text).matches("head" + other_value) is False


@pytest.mark.parametrize("text", ["*", "**", "***"])
def test_matches_everything(text):
    pattern = Pattern(text)
    assert pattern.matches_everything is True
    for value in ["", "x", "a\nb", "/tmp/ngrok tcp 22"]:
        assert pattern.matches(value) is True


@pytest.mark.parametrize("text", ["a*", "*a", "* *", "x", " "])
def test_does_not_match_everything(text):
    assert Pattern(text).matches_everything is False


@pytest.mark.parametrize(
    "text, value, matched",
    [
        ("*", "a\nb", True),
        ("a*", "a\nb", True),
        ("a*c", "a\nc", True),
        ("*b", "a\nb", True),
        ("a*b", "a\n\nb", True),
        ("a*b", "a\nb\n", False),
    ],
)
def test_star_spans_newlines(text, value, matched):
    assert Pattern(text).matches(value) is matched


# ------------------------------------------------------------------------------------------------ properties

from hypothesis import given, settings, strategies as st  # noqa: E402

_TEXT = st.text(st.characters(blacklist_characters="*", blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=150, deadline=None, database=None)
@given(_TEXT, _TEXT, _TEXT)
def test_star_patterns_match_their_own_parts(head, middle, tail):
    head, middle, tail = head.lower(), middle.lower(), tail.lower()
    assert Pattern(head).matches(head)
    assert Pattern(head + "*" + tail).matches(head + middle + tail)
    assert Pattern("*" + middle + "*").matches(head + middle + tail)
