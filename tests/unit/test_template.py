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


# -- mistakes(): warnings for templates that probably do not say what their author meant ---------------------------

from sa_ngrok_detection.template import mistakes, stray_dollars  # noqa: E402

KNOWN = {"dest", "user", "risk_score", "process_name", "parent_process_name"}


@pytest.mark.parametrize("template", [
    detection.DEFAULT_MESSAGE.replace("$parent_process_name$ - $process_name$", "$dest$"),
    "score $risk_score$ on $dest$",
    "no tokens at all",
    "$dest$$user$",
])
def test_good_templates_have_no_mistakes(template):
    assert mistakes(template, KNOWN) is None


@pytest.mark.parametrize("template, strays", [
    ("score $risk_score on $dest", ["$risk_score", "$dest"]),
    ("score $risk_score$ on $dest", ["$dest"]),
    ("$risk score$", ["$risk", "score$"]),
    ("costs $5", ["$5"]),
    ("two $$ signs", ["$$"]),
    ("$dest and $dest", ["$dest"]),
    ("$Processes.dest on", ["$Processes.dest"]),
])
def test_stray_dollars_name_the_text_around_them(template, strays):
    assert stray_dollars(template) == strays


def test_a_template_that_meant_tokens_but_has_none_is_named():
    found = mistakes("score $risk_score on $dest", KNOWN)
    assert found == ("$risk_score, $dest lack a closing or opening $ and are shown as written "
                     "(a field is written $name$)")


def test_unknown_fields_are_named_and_the_outcome_said():
    assert mistakes("on $dest$ by $usr$", KNOWN) == (
        "$usr$ is not a field of the detection's results or of ngrokscore's output: it renders as \"unknown\" "
        "unless the results have a field of that name")
    found = mistakes("$a$ $b$ $a$ $dest", KNOWN)
    assert found.startswith("$a$, $b$ are not fields of")
    assert found.endswith("; $dest lacks a closing or opening $ and is shown as written (a field is written $name$)")


def test_field_names_are_case_sensitive_as_in_splunk():
    assert "$Dest$ is not a field" in mistakes("on $Dest$", KNOWN)


def test_long_lists_and_long_names_are_cut_short():
    found = mistakes(" ".join("$f%d$" % i for i in range(50)) + " $" + "x" * 5000, KNOWN)
    assert "$f0$, $f1$, $f2$, $f3$, $f4$ and 45 more are not fields" in found
    assert len(found) < 600


def test_a_hostile_template_is_checked_in_linear_time(monkeypatch):
    # Counted, not timed: the characters looked at around stray $ signs grow with the template, not its square.
    from sa_ngrok_detection import template as template_module

    class Counting(object):
        calls = 0

        def __init__(self, pattern):
            self.pattern = pattern

        def match(self, text, position):
            Counting.calls += 1
            return self.pattern.match(text, position)

    monkeypatch.setattr(template_module, "_NAME_CHARACTER", Counting(template_module._NAME_CHARACTER))
    for template in ("a" * 20000 + "$", "$" + "a" * 20000, "$a " * 7000, "a.b:c-" * 4000 + "$", "$a" * 10000):
        Counting.calls = 0
        stray_dollars(template)
        assert Counting.calls <= 2 * len(template) + 2, template[:20]



from hypothesis import given, settings, strategies  # noqa: E402

from sa_ngrok_detection.template import split_template  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(strategies.text(alphabet="$ab_. :-{}\n\u00e9", max_size=40))
def test_every_dollar_outside_a_token_is_reported_and_nothing_else(template):
    literals = [literal for literal, _ in split_template(template)]
    strays = stray_dollars(template)
    assert bool(strays) == any("$" in literal for literal in literals)
    for stray in strays:
        assert "$" in stray and any(stray in literal for literal in literals)
    # Every stray $ is inside some reported text.
    for literal in literals:
        covered = literal
        for stray in strays:
            covered = covered.replace(stray, "")
        assert "$" not in covered
    found = mistakes(template, KNOWN)
    assert (found is None) == (not strays and all(name in KNOWN for name in template_fields(template)))
