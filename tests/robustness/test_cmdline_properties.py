"""Property-based tests of hostile command lines through the built command (issue 9 items 3, 4, 5, 8, 15).

Generated, not listed: tunnel command lines whose flag values hold ngrok verbs, help/version words and shell
syntax, written as a shell would quote them or as Sysmon logs argv (unquoted, or NUL-separated); and secrets in
every spelling ngrok accepts (each secret flag as --x, -x, --x=, quoted and unquoted, the positional forms, the
environment, URL user information, credential headers and query tokens). One command process answers every
example, as one search. Properties: a tunnel to port 22 always gets the remote-admin points and never the
informational ones; no secret ever comes back in any output field.
"""

import json
import os
import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ngrokscore_local import CommandSession, csv_to_rows, rows_to_csv

SECRET = "Q7wErTy_8uIoPaSdF2gHjKlZxCv9bNm"
REPORTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "reports",
                       "robustness")

VALUE_FLAGS = ["--log", "--metadata", "--description", "--region", "--label", "--proxy-proto", "--url",
               "--config", "--name", "--cidr-allow", "--request-header-add", "-log", "-region", "--log-format"]
HOSTILE_VALUES = ["version", "help", "-h", "--help", "-v", "--version", "x; ngrok version", "a && ngrok help",
                  "R&D", "x;", "a|b", ">x", "<x", "2>&1", "it's", 'say "hi', "C:\\", "a\\", "`id`", "$(id)",
                  "tcp", "http 80", "start --all", "authtoken", "add-authtoken", "1", "stdout", "a b c", "",
                  "service install", "ngrok tcp 8080", "-", "--", "&", ";", "|", "\\\n"]
SWITCHES = ["--inspect=false", "--pooling-enabled", "-inspect=false", "--all=false"]
VERB_TARGETS = [("tcp", "22"), ("tcp", "localhost:22"), ("tls", "127.0.0.1:22"), ("tunnel", "22"),
                ("http", "http://10.0.0.1:22"), ("tcp", "0.0.0.0:22")]
PREFIXES = ["", "nohup ", "sudo -u www ", "/tmp/", "NGROK_AUTHTOKEN=x ", "screen -dmS s "]


def render(words, style):
    """A command line as a shell would show it (quoted), as Sysmon logs it (spaces), or as /proc/pid/cmdline."""
    if style == "shell":
        return " ".join(shlex.quote(word) for word in words)
    return ("\x00" if style == "nul" else " ").join(words)


@st.composite
def tunnel_lines(draw):
    verb, target = draw(st.sampled_from(VERB_TARGETS))
    flags = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            flags.append([draw(st.sampled_from(SWITCHES))])
        else:
            flags.append([draw(st.sampled_from(VALUE_FLAGS)), draw(st.sampled_from(HOSTILE_VALUES))])
    split = draw(st.integers(0, len(flags)))
    before_verb = draw(st.booleans()) and split > 0
    words = ["ngrok"]
    if before_verb:
        words += sum(flags[:split], []) + [verb, target] + sum(flags[split:], [])
    else:
        words += [verb] + sum(flags[:split], []) + [target] + sum(flags[split:], [])
    style = draw(st.sampled_from(["shell", "sysmon", "nul"]))
    return draw(st.sampled_from(PREFIXES)) + render(words, style)


SECRET_FLAGS = ["authtoken", "api-key", "basic-auth", "auth", "oauth-client-secret", "oidc-client-secret",
                "verify-webhook-secret", "value", "private-key-pem", "precomputed-token"]


@st.composite
def secret_lines(draw):
    flag = draw(st.sampled_from(SECRET_FLAGS))
    dashes = draw(st.sampled_from(["--", "-"]))
    value = SECRET if flag not in ("basic-auth", "auth") else "admin:" + SECRET
    if draw(st.booleans()) and flag in ("basic-auth", "auth", "value"):
        value = draw(st.sampled_from(["correct ", "a b ", ""])) + value  # a password with spaces
    form = draw(st.sampled_from(["spaced", "equals", "quoted-name", "quoted-all", "positional", "env", "url",
                                 "header", "query"]))
    if form == "spaced":
        words = [dashes + flag, value]
    elif form == "equals":
        words = [dashes + flag + "=" + value]
    elif form == "quoted-name":
        words = ['"%s%s"' % (dashes, flag), value]
    elif form == "quoted-all":
        words = ['"%s%s"' % (dashes, flag), '"%s"' % value]
    elif form == "positional":
        words = draw(st.sampled_from([["authtoken"], ["config", "add-authtoken"], ["config", "add-api-key"]])) + \
            draw(st.sampled_from([[], [">", "/dev/null"], ["--config", "/x.yml"], ["\\\n"]])) + [SECRET]
    elif form == "env":
        words = [draw(st.sampled_from(["NGROK_AUTHTOKEN", "ngrok_api_key", "NGROK_API_KEY"])) + "=" + SECRET]
    elif form == "url":
        words = [draw(st.sampled_from(["--proxy-url", "--url", ""])), "https://user:%s@host:8443" % SECRET]
    elif form == "header":
        words = ["--request-header-add", draw(st.sampled_from(["Authorization: Bearer %s", "X-Api-Key: %s",
                                                                "Cookie: sid=%s", "authorization:%s"])) % SECRET]
    else:
        words = ["--traffic-policy-url", "https://x.example/p.yml?%s=%s" % (
            draw(st.sampled_from(["token", "sig", "access_token", "X-Amz-Signature", "key"])), SECRET)]
    before = draw(st.sampled_from([["ngrok", "tcp", "22"], ["ngrok"], ["/tmp/x", "http", "80"], ["ngrok", "api"]]))
    after = draw(st.sampled_from([[], ["--region", "eu"], ["tcp", "22"], ["&"], [";", "ls"], [">", "/dev/null"]]))
    style = draw(st.sampled_from(["sysmon", "nul", "as-is"]))
    words = [word for word in before + words + after if word]
    if style == "as-is":
        return " ".join(words)
    return ("\x00" if style == "nul" else " ").join(word.strip('"') if style == "nul" else word for word in words)


class Search(object):
    def __init__(self, args):
        self.session = CommandSession(timeout=120)
        reply, _ = self.session.getinfo(args)
        assert reply["type"] == "streaming"
        self.examples = 0

    def score(self, rows):
        self.examples += len(rows)
        reply, body = self.session.execute(rows_to_csv(rows), False)
        assert not [m for m in (reply.get("inspector") or {}).get("messages", []) if m[0] in ("ERROR", "FATAL")]
        return csv_to_rows(body)[1]

    def finish(self, name):
        self.session.execute(b"", True)
        assert self.session.close() == 0
        self.session.cleanup()
        os.makedirs(REPORTS, exist_ok=True)
        with open(os.path.join(REPORTS, "cmdline-%s.json" % name), "w") as handle:
            json.dump({"examples": self.examples}, handle)


@pytest.fixture(scope="module")
def scoring():
    search = Search([])
    yield search
    search.finish("tunnels")


@pytest.fixture(scope="module")
def masking():
    search = Search(["message=$process$ | $parent_process$ | $ngrok_target$ | $ngrok_subcommand$"])
    yield search
    search.finish("secrets")


def _reasons(row):
    reasons = row["risk_reasons"]
    return " | ".join(reasons) if isinstance(reasons, list) else reasons


@given(st.lists(tunnel_lines(), min_size=1, max_size=8))
def test_a_tunnel_to_port_22_is_never_under_scored(scoring, lines):
    rows = scoring.score([{"dest": "h", "user": "u", "process": line} for line in lines])
    assert len(rows) == len(lines)
    for line, row in zip(lines, rows):
        assert "remote-admin port" in _reasons(row), (line, row["ngrok_target"], _reasons(row))
        assert "informational" not in _reasons(row), (line, _reasons(row))


@given(st.lists(secret_lines(), min_size=1, max_size=8))
def test_no_secret_in_any_spelling_reaches_the_output(masking, lines):
    rows = masking.score([{"dest": "h", "user": "u", "process": line, "parent_process": "bash -c '%s'" % line,
                           "CommandLine": line} for line in lines])
    assert len(rows) == len(lines)
    for line, row in zip(lines, rows):
        assert SECRET not in json.dumps(row), (line, row)
