"""Unit tests for sa_ngrok_detection.template: render() and template_fields()."""

import pytest

from sa_ngrok_detection import detection
from sa_ngrok_detection.template import UNKNOWN, render, template_fields

ROW = {"parent_process_name": "bash", "process_name": "ngrok", "dest": "web-01", "user": "root"}


def test_default_message_with_all_fields():
    assert render(detection.DEFAULT_MESSAGE, ROW.get) == (
        "A reverse proxy was identified spawning from bash - ngrok on endpoint web-01 by user root"
    )


def test_default_message_with_no_fields():
    assert UNKNOWN == "unknown"
    assert render(detection.DEFAULT_MESSAGE, {}.get) == (
        "A reverse proxy was identified spawning from unknown - unknown on endpoint unknown by user unknown"
    )


@pytest.mark.parametrize("missing", [None, "", [], (), ["", ""]])
def test_missing_or_empty_value_renders_unknown(missing):
    values = dict(ROW, dest=missing)
    assert render("on $dest$ by $user$", values.get) == "on unknown by root"


def test_only_the_named_field_is_asked_for():
    asked = []

    def value_of(name):
        asked.append(name)
        return name.upper()

    assert render("$a$-$b$-$a$", value_of) == "A-B-A"
    assert asked == ["a", "b", "a"]


@pytest.mark.parametrize(
    "value, rendered",
    [
        (["h1", "h2"], "h1, h2"),
        (["h1", "", "h2", ""], "h1, h2"),
        (("h1",), "h1"),
        (["", "h2"], "h2"),
    ],
)
def test_list_values_joined(value, rendered):
    assert render("dest=$dest$", {"dest": value}.get) == "dest=" + rendered


def test_value_is_not_expanded_again():
    values = {"user": "$dest$", "dest": "web-01"}
    assert render("$user$ on $dest$", values.get) == "$dest$ on web-01"


def test_value_with_template_syntax_in_list_is_not_expanded():
    values = {"user": ["$dest$", "$user$"], "dest": "web-01"}
    assert render("$user$", values.get) == "$dest$, $user$"


def test_replacement_text_is_literal():
    # re.sub templates (\1, \g<0>) in a value must not be interpreted
    assert render("[$a$]", {"a": r"\1 \g<0> \\"}.get) == r"[\1 \g<0> \\]"


@pytest.mark.parametrize(
    "template",
    [
        "costs $5",
        "$",
        "$$",
        "a $$ b",
        "end $",
        "$ dest$",
        "$dest $",
        "$1dest$",
        "$-x$",
        "no tokens at all",
        "",
    ],
)
def test_text_that_is_not_a_token_is_left_alone(template):
    assert render(template, lambda name: "X") == template


def test_doubled_dollars_around_a_token():
    assert render("$$a$$", {"a": "X"}.get) == "$X$"


def test_adjacent_tokens():
    assert render("$a$$b$", {"a": "X", "b": "Y"}.get) == "XY"


@pytest.mark.parametrize(
    "template, values, rendered",
    [
        ("$Processes.dest$", {"Processes.dest": "h1"}, "h1"),
        ("$Processes.process_name$ on $Processes.dest$",
         {"Processes.process_name": "ngrok", "Processes.dest": "h1"}, "ngrok on h1"),
        ("$result.user$", {}, "unknown"),
        ("$a:b$ $a-b$ $_x$", {"a:b": "1", "a-b": "2", "_x": "3"}, "1 2 3"),
    ],
)
def test_dotted_and_punctuated_names(template, values, rendered):
    assert render(template, values.get) == rendered


def test_names_are_case_sensitive():
    assert render("$Dest$ $dest$", {"dest": "h1"}.get) == "unknown h1"


@pytest.mark.parametrize(
    "template, fields",
    [
        (detection.DEFAULT_MESSAGE, ("parent_process_name", "process_name", "dest", "user")),
        ("$b$ $a$ $b$ $a$", ("b", "a")),
        ("$Processes.dest$ and $dest$", ("Processes.dest", "dest")),
        ("$x:y$ $1a$ $ a$ $$ $", ("x:y",)),
        ("$a$$b$", ("a", "b")),
        ("no fields", ()),
        ("", ()),
    ],
)
def test_template_fields(template, fields):
    assert template_fields(template) == fields


def test_template_fields_returns_a_tuple():
    assert isinstance(template_fields("$a$"), tuple)
