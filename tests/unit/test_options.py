"""Unit tests for sa_ngrok_detection.options.validate() and detection.base_score()."""

import pytest

from sa_ngrok_detection import detection
from sa_ngrok_detection.options import DEFAULTS, OPTION_NAMES, OptionError, Settings, validate


def test_option_names():
    assert OPTION_NAMES == ("impact", "confidence", "message", "modifiers", "allowlist", "on_allowlist", "redact")
    assert set(DEFAULTS) == set(OPTION_NAMES)


def test_defaults():
    assert validate({}) == Settings(
        impact=50,
        confidence=100,
        message=detection.DEFAULT_MESSAGE,
        modifiers=True,
        allowlist="ngrok_allowlist.csv",
        on_allowlist="mark",
        redact=True,
    )


def test_defaults_match_detection_module():
    settings = validate({})
    assert settings.impact == detection.DEFAULT_IMPACT
    assert settings.confidence == detection.DEFAULT_CONFIDENCE
    assert settings.allowlist == detection.DEFAULT_ALLOWLIST


def test_validate_does_not_change_its_input():
    given = {"impact": "10"}
    validate(given)
    assert given == {"impact": "10"}


@pytest.mark.parametrize(
    "given, field, value",
    [
        ({"impact": "0"}, "impact", 0),
        ({"impact": "100"}, "impact", 100),
        ({"impact": "7"}, "impact", 7),
        ({"impact": " 7 "}, "impact", 7),
        ({"impact": "007"}, "impact", 7),
        ({"impact": "+5"}, "impact", 5),
        ({"impact": 30}, "impact", 30),
        ({"confidence": "0"}, "confidence", 0),
        ({"confidence": "100"}, "confidence", 100),
        ({"confidence": "42"}, "confidence", 42),
        ({"message": "ngrok on $dest$"}, "message", "ngrok on $dest$"),
        ({"message": "  padded  "}, "message", "  padded  "),
        ({"on_allowlist": "drop"}, "on_allowlist", "drop"),
        ({"on_allowlist": " DROP "}, "on_allowlist", "drop"),
        ({"on_allowlist": "Mark"}, "on_allowlist", "mark"),
        ({"allowlist": "my_list-2.csv"}, "allowlist", "my_list-2.csv"),
        ({"allowlist": " my.csv "}, "allowlist", "my.csv"),
        ({"allowlist": "none"}, "allowlist", None),
        ({"allowlist": "NONE"}, "allowlist", None),
        ({"allowlist": " None "}, "allowlist", None),
    ],
)
def test_valid_values(given, field, value):
    assert getattr(validate(given), field) == value


BOOLEANS = [
    ("true", True), ("TRUE", True), ("True", True), ("t", True), ("T", True), ("1", True),
    ("yes", True), ("YES", True), ("Yes", True), ("y", True), ("on", True), (" true ", True),
    ("false", False), ("FALSE", False), ("False", False), ("f", False), ("F", False), ("0", False),
    ("no", False), ("NO", False), ("No", False), ("n", False), ("off", False), (" false ", False),
]


@pytest.mark.parametrize("name", ["modifiers", "redact"])
@pytest.mark.parametrize("text, value", BOOLEANS)
def test_boolean_spellings(name, text, value):
    assert getattr(validate({name: text}), name) is value


# (option, bad value, text saying what is allowed)
INVALID = [
    ("impact", "-1", "whole number from 0 to 100"),
    ("impact", "101", "whole number from 0 to 100"),
    ("impact", "1.5", "whole number from 0 to 100"),
    ("impact", "abc", "whole number from 0 to 100"),
    ("impact", "", "whole number from 0 to 100"),
    ("impact", "   ", "whole number from 0 to 100"),
    ("impact", "\u0663", "whole number from 0 to 100"),  # ARABIC-INDIC DIGIT THREE
    ("impact", "\uff15", "whole number from 0 to 100"),  # FULLWIDTH DIGIT FIVE
    ("impact", "\u00b2", "whole number from 0 to 100"),  # SUPERSCRIPT TWO
    ("impact", "+", "whole number from 0 to 100"),
    ("impact", "1_0", "whole number from 0 to 100"),
    ("impact", "1e2", "whole number from 0 to 100"),
    ("confidence", "-1", "whole number from 0 to 100"),
    ("confidence", "101", "whole number from 0 to 100"),
    ("confidence", "1.5", "whole number from 0 to 100"),
    ("confidence", "abc", "whole number from 0 to 100"),
    ("confidence", "", "whole number from 0 to 100"),
    ("confidence", "\u0663", "whole number from 0 to 100"),
    ("confidence", "-0", "whole number from 0 to 100"),
    ("modifiers", "maybe", "expected true or false"),
    ("modifiers", "", "expected true or false"),
    ("modifiers", "2", "expected true or false"),
    ("redact", "2", "expected true or false"),
    ("redact", "tru", "expected true or false"),
    ("on_allowlist", "keep", "expected mark or drop"),
    ("on_allowlist", "", "expected mark or drop"),
    ("allowlist", "../x.csv", "plain file name"),
    ("allowlist", "/etc/passwd", "plain file name"),
    ("allowlist", "sub/x.csv", "plain file name"),
    ("allowlist", "sub\\x.csv", "plain file name"),
    ("allowlist", "x.txt", "plain file name"),
    ("allowlist", ".hidden.csv", "plain file name"),
    ("allowlist", "x..csv", "plain file name"),
    ("allowlist", "", "plain file name"),
    ("allowlist", "a b.csv", "plain file name"),
    ("message", "", "non-empty template"),
    ("message", "   ", "non-empty template"),
]


@pytest.mark.parametrize("name, value, allowed", INVALID, ids=["%s=%r" % (n, v) for n, v, _ in INVALID])
def test_invalid_value_raises_option_error(name, value, allowed):
    with pytest.raises(OptionError) as caught:
        validate({name: value})
    message = str(caught.value)
    assert message.startswith("ngrokscore: invalid value %s=%r; expected " % (name, value))
    assert allowed in message
    assert isinstance(caught.value, ValueError)


def test_allowlist_error_says_none_is_allowed():
    with pytest.raises(OptionError, match=r"\.csv lookup .*, or none$"):
        validate({"allowlist": "/etc/passwd"})


def test_message_error_shows_an_example():
    with pytest.raises(OptionError) as caught:
        validate({"message": ""})
    assert detection.DEFAULT_MESSAGE in str(caught.value)


def test_none_value_is_treated_as_empty():
    with pytest.raises(OptionError, match=r"impact=''"):
        validate({"impact": None})


@pytest.mark.parametrize("name", ["impact", "confidence"])
def test_repeated_plus_sign_raises_option_error(name):
    with pytest.raises(OptionError, match=r"%s='\+\+5'" % name):
        validate({name: "++5"})


# ------------------------------------------------------------------------------------------------ base_score


@pytest.mark.parametrize(
    "impact, confidence, score",
    [
        (50, 100, 50),
        (25, 50, 13),  # 12.5 rounds half up
        (1, 50, 1),  # 0.5 rounds half up
        (3, 50, 2),  # 1.5 -> 2
        (5, 50, 3),  # 2.5 -> 3 (not banker's rounding)
        (0, 100, 0),
        (100, 0, 0),
        (100, 100, 100),
        (33, 33, 11),  # 10.89
        (49, 1, 0),  # 0.49
        (99, 99, 98),  # 98.01
        (70, 90, 63),
    ],
)
def test_base_score(impact, confidence, score):
    assert detection.base_score(impact, confidence) == score
    assert isinstance(detection.base_score(impact, confidence), int)


def test_default_base_score():
    settings = validate({})
    assert detection.base_score(settings.impact, settings.confidence) == 50


# -- repeated options and message template warnings ----------------------------------------------------------------

from sa_ngrok_detection.options import message_warning, repeated, repeated_error  # noqa: E402


def test_each_option_once_is_fine():
    args = ["impact=50", "confidence=100", "message=a=b $dest$", "redact=true"]
    assert repeated(args) == [] and repeated_error(args) is None
    assert repeated_error([]) is None


def test_a_repeated_option_is_refused_naming_it_and_every_value():
    assert repeated(["impact=50", "redact=t", "impact=60"]) == [("impact", ["50", "60"])]
    assert repeated_error(["impact=50", "impact=60"]) == (
        "ngrokscore: option impact is given more than once: impact='50', impact='60'; give each option once")


def test_the_same_value_twice_is_refused_too():
    assert repeated_error(["on_allowlist=drop", "on_allowlist=drop"]).startswith(
        "ngrokscore: option on_allowlist is given more than once")


def test_several_repeated_options_are_named_together():
    error = repeated_error(["impact=1", "redact=t", "impact=2", "redact=f", "redact=1", "modifiers=f"])
    assert error == ("ngrokscore: options impact, redact are given more than once: impact='1', impact='2'; "
                     "redact='t', redact='f', redact='1'; give each option once")


def test_words_that_are_not_options_are_not_counted_here():
    # Unknown names and bare words have their own error (the list of options); a value may contain '='.
    assert repeated(["impakt=1", "impakt=2", "verbose", "verbose", "message=x=1"]) == []


def test_long_repeated_values_are_cut_short():
    error = repeated_error(["message=" + "m" * 500, "message=short"])
    assert "m" * 57 + "...'" in error and len(error) < 200


def test_the_default_message_and_output_fields_raise_no_warning():
    assert message_warning(detection.DEFAULT_MESSAGE) is None
    tokens = " ".join("$%s$" % name for name in detection.OUTPUT_FIELDS)
    assert message_warning(tokens) is None


@pytest.mark.parametrize("token", ["dest", "Processes.dest", "Computer", "CommandLine", "process_path", "count",
                                   "firstTime", "lastTime", "_time", "host", "process_current_directory"])
def test_fields_the_detection_reads_raise_no_warning(token):
    assert message_warning("on $%s$" % token) is None


def test_message_warning_names_the_token():
    assert message_warning("score $risk_score on $dest") == (
        "ngrokscore: check the message template: $risk_score, $dest lack a closing or opening $ and are shown as "
        "written (a field is written $name$)")
    warning = message_warning("on $dest$ port $ngrok_target_port$")
    assert warning.startswith("ngrokscore: check the message template: $ngrok_target_port$ is not a field")
