"""Unit tests for sa_ngrok_detection.ngrok_cmdline: parse(), split_words(), target_port()."""

import os

import pytest

from sa_ngrok_detection import ngrok_cmdline
from sa_ngrok_detection.ngrok_cmdline import EMPTY, NgrokInvocation, parse, parse_all, split_words, target_port


def inv(subcommand, action=None, target="", target_port="", arguments="", paths=(), has_authtoken=False):
    """An expected NgrokInvocation; action defaults to the subcommand."""
    return NgrokInvocation(
        subcommand=subcommand,
        action=subcommand if action is None else action,
        target=target,
        target_port=target_port,
        arguments=arguments,
        paths=tuple(paths),
        has_authtoken=has_authtoken,
    )


def test_module_comes_from_the_built_app(built_app):
    assert os.path.abspath(ngrok_cmdline.__file__).startswith(os.path.join(built_app, "bin") + os.sep)


# --------------------------------------------------------------------------------------------------- tunnels

TUNNELS = [
    ("ngrok tcp 22", inv("tcp", target="22", target_port="22", arguments="tcp 22")),
    ("ngrok tcp localhost:22", inv("tcp", target="localhost:22", target_port="22", arguments="tcp localhost:22")),
    ("ngrok tcp 127.0.0.1:22", inv("tcp", target="127.0.0.1:22", target_port="22", arguments="tcp 127.0.0.1:22")),
    ("ngrok http 8080", inv("http", target="8080", target_port="8080", arguments="http 8080")),
    ("ngrok http localhost:8080",
     inv("http", target="localhost:8080", target_port="8080", arguments="http localhost:8080")),
    ("ngrok http localhost", inv("http", target="localhost", target_port="80", arguments="http localhost")),
    ("ngrok http https://localhost",
     inv("http", target="https://localhost", target_port="443", arguments="http https://localhost")),
    ("ngrok http http://example.com",
     inv("http", target="http://example.com", target_port="80", arguments="http http://example.com")),
    ("ngrok http http://10.0.0.5:8080/x",
     inv("http", target="http://10.0.0.5:8080/x", target_port="8080", arguments="http http://10.0.0.5:8080/x")),
    ("ngrok http [::1]:8080", inv("http", target="[::1]:8080", target_port="8080", arguments="http [::1]:8080")),
    ("ngrok tls 443", inv("tls", target="443", target_port="443", arguments="tls 443")),
    ("ngrok tls example.com", inv("tls", target="example.com", target_port="443", arguments="tls example.com")),
    ("ngrok tcp example.com", inv("tcp", target="example.com", target_port="", arguments="tcp example.com")),
    ("ngrok tcp", inv("tcp", arguments="tcp")),
    ("ngrok tcp --url=1.tcp.ngrok.io:27210 3389",
     inv("tcp", target="3389", target_port="3389", arguments="tcp 3389 --url=1.tcp.ngrok.io:27210")),
    ("ngrok tcp --url 1.tcp.ngrok.io:27210 3389",
     inv("tcp", target="3389", target_port="3389", arguments="tcp 3389 --url 1.tcp.ngrok.io:27210")),
    ("ngrok tcp --region us 3389",
     inv("tcp", target="3389", target_port="3389", arguments="tcp 3389 --region us")),
    ("ngrok http 8080 --log stdout",
     inv("http", target="8080", target_port="8080", arguments="http 8080 --log stdout")),
    ("ngrok tcp -- 22", inv("tcp", target="22", target_port="22", arguments="tcp 22")),
    # v2 single-dash flags
    ("ngrok -config=/x.yml tcp 5900",
     inv("tcp", target="5900", target_port="5900", arguments="tcp 5900 --config=/x.yml", paths=["/x.yml"])),
    ("ngrok -log stdout tcp 22", inv("tcp", target="22", target_port="22", arguments="tcp 22 --log stdout")),
    ("ngrok -log=stdout tcp 22", inv("tcp", target="22", target_port="22", arguments="tcp 22 --log=stdout")),
    ("ngrok -region eu http 80",
     inv("http", target="80", target_port="80", arguments="http 80 --region eu")),
    # case of the verb is normalised, the arguments are kept as written
    ("ngrok TCP 22", inv("tcp", target="22", target_port="22", arguments="TCP 22")),
    ("NGROK tcp 22", inv("tcp", target="22", target_port="22", arguments="tcp 22")),
    ("ngrok.exe tcp 22", inv("tcp", target="22", target_port="22", arguments="tcp 22")),
    # quoted words
    ('ngrok http "localhost:8080"',
     inv("http", target="localhost:8080", target_port="8080", arguments="http localhost:8080")),
    ("ngrok   tcp\t\t22  ", inv("tcp", target="22", target_port="22", arguments="tcp 22")),
]


@pytest.mark.parametrize("line, expected", TUNNELS, ids=[case[0] for case in TUNNELS])
def test_parse_tunnels(line, expected):
    assert parse(line) == expected


# ------------------------------------------------------------------------------------ start, service, config

CONFIG_AND_SERVICE = [
    ("ngrok start --all --config /tmp/a.yml,/etc/b.yml",
     inv("start", arguments="start --all --config /tmp/a.yml,/etc/b.yml", paths=["/tmp/a.yml", "/etc/b.yml"])),
    ("ngrok start --all --config=/a.yml --config /b.yml",
     inv("start", arguments="start --all --config=/a.yml --config /b.yml", paths=["/a.yml", "/b.yml"])),
    ("ngrok start --config /a.yml,,/b.yml web",
     inv("start", arguments="start web --config /a.yml,,/b.yml", paths=["/a.yml", "/b.yml"])),
    ("ngrok start web ssh", inv("start", arguments="start web ssh")),
    ("/opt/ngrok/ngrok start --all --config /tmp/a.yml",
     inv("start", arguments="start --all --config /tmp/a.yml", paths=["/opt/ngrok/ngrok", "/tmp/a.yml"])),
    ("ngrok service install --config /etc/ngrok.yml",
     inv("service", "service install", arguments="service install --config /etc/ngrok.yml",
         paths=["/etc/ngrok.yml"])),
    ("ngrok service install --config=/etc/n.yml",
     inv("service", "service install", arguments="service install --config=/etc/n.yml", paths=["/etc/n.yml"])),
    ("ngrok service start", inv("service", "service start", arguments="service start")),
    ("ngrok SERVICE Install", inv("service", "service install", arguments="SERVICE Install")),
    ("ngrok config check", inv("config", "config check", arguments="config check")),
    ("ngrok config", inv("config", "config", arguments="config")),
    ("ngrok api endpoints list", inv("api", "api endpoints", arguments="api endpoints list")),
]


@pytest.mark.parametrize("line, expected", CONFIG_AND_SERVICE, ids=[case[0] for case in CONFIG_AND_SERVICE])
def test_parse_start_service_config(line, expected):
    assert parse(line) == expected


# ---------------------------------------------------------------------------------------------- credentials

CREDENTIALS = [
    ("ngrok config add-authtoken X",
     inv("config", "config add-authtoken", arguments="config add-authtoken X", has_authtoken=True)),
    ("ngrok config add-api-key X",
     inv("config", "config add-api-key", arguments="config add-api-key X", has_authtoken=True)),
    ("ngrok authtoken X", inv("authtoken", arguments="authtoken X", has_authtoken=True)),
    ("ngrok tcp 22 --authtoken=X",
     inv("tcp", target="22", target_port="22", arguments="tcp 22 --authtoken=X", has_authtoken=True)),
    ("ngrok tcp --authtoken X 22",
     inv("tcp", target="22", target_port="22", arguments="tcp 22 --authtoken X", has_authtoken=True)),
    ("ngrok -authtoken X tcp 22",
     inv("tcp", target="22", target_port="22", arguments="tcp 22 --authtoken X", has_authtoken=True)),
    ("ngrok http 80 --api-key K",
     inv("http", target="80", target_port="80", arguments="http 80 --api-key K", has_authtoken=True)),
    ("ngrok http 80 --API-KEY=K",
     inv("http", target="80", target_port="80", arguments="http 80 --api-key=K", has_authtoken=True)),
    # an environment assignment in front is not the binary, and counts as a credential
    ("NGROK_AUTHTOKEN=X ngrok tls 443",
     inv("tls", target="443", target_port="443", arguments="tls 443", has_authtoken=True)),
    ("NGROK_AUTHTOKEN=X /tmp/.x tls 443",
     inv("tls", target="443", target_port="443", arguments="tls 443", paths=["/tmp/.x"], has_authtoken=True)),
    ("ngrok_authtoken=x ngrok tcp 22",
     inv("tcp", target="22", target_port="22", arguments="tcp 22", has_authtoken=True)),
    ("env NGROK_API_KEY=k ngrok api endpoints list",
     inv("api", "api endpoints", arguments="api endpoints list", has_authtoken=True)),
    # other environment assignments are skipped too, and are no credential
    ("FOO=1 BAR=2 ./x tcp 22",
     inv("tcp", target="22", target_port="22", arguments="tcp 22", paths=["./x"])),
    # not a credential
    ("ngrok config check", inv("config", "config check", arguments="config check")),
    ("ngrok http 80 --basic-auth u:p",
     inv("http", target="80", target_port="80", arguments="http 80 --basic-auth u:p")),
]


@pytest.mark.parametrize("line, expected", CREDENTIALS, ids=[case[0] for case in CREDENTIALS])
def test_parse_credentials(line, expected):
    assert parse(line) == expected


def test_env_assignment_is_not_the_binary():
    result = parse("NGROK_AUTHTOKEN=X ngrok tls 443")
    assert "NGROK_AUTHTOKEN" not in result.arguments
    assert result.paths == ()
    assert result.subcommand == "tls"


# ------------------------------------------------------------------------------------------ informational

INFORMATIONAL = [
    ("ngrok version", inv("version", arguments="version")),
    ("ngrok --version", inv("version", arguments="--version")),
    ("ngrok -v", inv("version", arguments="-v")),
    ("ngrok help", inv("help", arguments="help")),
    ("ngrok help http", inv("help", arguments="help http")),
    ("ngrok -h", inv("help", arguments="-h")),
    ("ngrok config --help", inv("help", arguments="config --help")),
    ("ngrok authtoken --help", inv("help", arguments="authtoken --help", has_authtoken=True)),
    ("ngrok config check --version=true", inv("version", arguments="config check --version=true")),
]


@pytest.mark.parametrize("line, expected", INFORMATIONAL, ids=[case[0] for case in INFORMATIONAL])
def test_parse_informational(line, expected):
    assert parse(line) == expected


NEVER_DOWNGRADED = [
    # A verb that opens a tunnel keeps it: the help/version word may sit inside a flag value Sysmon logged unquoted
    # (--log "/tmp/.l -h" arrives as --log /tmp/.l -h).
    ("ngrok tcp 22 --log /tmp/.l -h", "tcp", "22"),
    ("ngrok tcp 22 --help", "tcp", "22"),
    ("ngrok http 80 -h", "http", "80"),
    ("ngrok -v tcp 22", "tcp", "22"),
    ("ngrok --version tls 443", "tls", "443"),
    ("ngrok tunnel --label edge=x -h 22", "tunnel", "22"),
    ("ngrok start --all --help", "start", ""),
    ("ngrok service install --help --config /etc/n.yml", "service", ""),
    ("ngrok tcp 22 --log x; ngrok version", "tcp", "22"),
    ("ngrok tcp 22 --log x ; ngrok help", "tcp", "22"),
    ("ngrok tcp 22 --metadata 'x; ngrok version'", "tcp", "22"),
    ("ngrok tcp 22 --log version", "tcp", "22"),
    ("ngrok --log help tcp 22", "tcp", "22"),
    ("ngrok --metadata x help tcp 22", "tcp", "22"),
]


@pytest.mark.parametrize("line, verb, target", NEVER_DOWNGRADED, ids=[case[0] for case in NEVER_DOWNGRADED])
def test_a_verb_that_opens_a_tunnel_is_never_downgraded(line, verb, target):
    found = parse_all(line)
    assert (found[0].subcommand, found[0].target) == (verb, target)
    assert not [i for i in found if i.action in ngrok_cmdline.INFORMATIONAL_ACTIONS]


# ------------------------------------------------------------------------------ wrappers and renamed binaries

WRAPPERS = [
    ("nohup ./ngrok tcp 22 --log=stdout &",
     inv("tcp", target="22", target_port="22", arguments="tcp 22 --log=stdout", paths=["./ngrok"])),
    ("screen -dm /tmp/ngrok tcp 22",
     inv("tcp", target="22", target_port="22", arguments="tcp 22", paths=["/tmp/ngrok"])),
    ("sudo -u www ngrok http 80", inv("http", target="80", target_port="80", arguments="http 80")),
    ("timeout 60 ngrok tcp 22", inv("tcp", target="22", target_port="22", arguments="tcp 22")),
    ("setsid nohup /usr/local/bin/ngrok tcp 3389",
     inv("tcp", target="3389", target_port="3389", arguments="tcp 3389", paths=["/usr/local/bin/ngrok"])),
    # renamed binary: still the first word that is not a wrapper
    ("/tmp/.x tcp 22", inv("tcp", target="22", target_port="22", arguments="tcp 22", paths=["/tmp/.x"])),
    ("nohup /tmp/.x tcp 22", inv("tcp", target="22", target_port="22", arguments="tcp 22", paths=["/tmp/.x"])),
    ("./svc http 8080", inv("http", target="8080", target_port="8080", arguments="http 8080", paths=["./svc"])),
    ("svc http 8080", inv("http", target="8080", target_port="8080", arguments="http 8080")),
]


@pytest.mark.parametrize("line, expected", WRAPPERS, ids=[case[0] for case in WRAPPERS])
def test_parse_wrappers_and_renamed_binaries(line, expected):
    assert parse(line) == expected


def test_renamed_binary_path_is_reported():
    result = parse("/tmp/.x tcp 22")
    assert result.subcommand == "tcp"
    assert "/tmp/.x" in result.paths


LAUNCHERS_WITH_OPTION_VALUES = [
    # A wrapper flag that takes a value: the value is taken for the binary when the binary is not named ngrok*.
    ("sudo -u www /tmp/.x tcp 22", "/tmp/.x"),
    ("timeout 60 /tmp/.x tcp 22", "/tmp/.x"),
    ("nice -n 10 /tmp/.x tcp 22", "/tmp/.x"),
]


@pytest.mark.parametrize("line, binary", LAUNCHERS_WITH_OPTION_VALUES, ids=[case[0] for case in LAUNCHERS_WITH_OPTION_VALUES])
def test_renamed_binary_behind_wrapper_with_flag_value(line, binary):
    assert parse(line) == inv("tcp", target="22", target_port="22", arguments="tcp 22", paths=[binary])


@pytest.mark.parametrize("line", ['sh -c "ngrok tcp 22"', "bash -c 'ngrok tcp 22'"])
def test_shell_dash_c(line):
    result = parse(line)
    assert (result.subcommand, result.target, result.target_port) == ("tcp", "22", "22")


# ------------------------------------------------------------------------------------ shell operators

SHELL_END = [
    ("ngrok tcp 22 > /dev/null 2>&1 &", "tcp 22"),
    ("ngrok tcp 22 >/dev/null", "tcp 22"),
    ("ngrok tcp 22 2>&1", "tcp 22"),
    ("ngrok tcp 22 < /dev/null", "tcp 22"),
    ("ngrok tcp 22 ; rm x", "tcp 22"),
    ("ngrok tcp 22 | tee log", "tcp 22"),
    ("ngrok tcp 22 || true", "tcp 22"),
    ("ngrok tcp 22 && echo hi", "tcp 22"),
    ("ngrok tcp 22 &", "tcp 22"),
]


@pytest.mark.parametrize("line, arguments", SHELL_END, ids=[case[0] for case in SHELL_END])
def test_shell_operators_end_the_command(line, arguments):
    assert parse(line) == inv("tcp", target="22", target_port="22", arguments=arguments)


def test_numbered_redirection_without_space_is_a_redirection():
    # POSIX: "22>/dev/null" redirects file descriptor 22, so the tunnel has no port; the argv reading shows the word.
    assert [(i.target, i.target_port) for i in parse_all("ngrok tcp 22>/dev/null")] == [("22>/dev/null", ""), ("", "")]


SHELL_END_ATTACHED = [
    "ngrok tcp 22; rm x",
    "ngrok tcp 22;",
    "ngrok tcp 22&",
    "ngrok tcp 22&&echo hi",
    "ngrok tcp 22|tee log",
]


@pytest.mark.parametrize("line", SHELL_END_ATTACHED)
def test_shell_operators_attached_to_a_word_end_the_command(line):
    assert parse(line) == inv("tcp", target="22", target_port="22", arguments="tcp 22")


# ---------------------------------------------------------------------------- degenerate and hostile input


@pytest.mark.parametrize("line", [None, "", "   ", "\t\n  \r\n", "\u00a0\u2003"])
def test_nothing_to_read_returns_empty(line):
    assert parse(line) is EMPTY


@pytest.mark.parametrize("line", ["ngrok", "/usr/bin/ngrok", "\x00", "&&", "sudo", "NGROK_AUTHTOKEN_OTHER=1"])
def test_no_verb_gives_empty_facts(line):
    result = parse(line)
    assert (result.subcommand, result.action, result.target, result.target_port, result.arguments) == ("",) * 5
    assert result.has_authtoken is False


def test_lone_env_assignment_still_reports_the_credential():
    assert parse("NGROK_AUTHTOKEN=X") == inv("", has_authtoken=True)


UNBALANCED = [
    ('ngrok tcp "22', inv("tcp", target="22", target_port="22", arguments="tcp 22")),
    ("ngrok http 'local host:80", inv("http", target="local host:80", target_port="80",
                                     arguments="http local host:80")),
    # an unmatched quote: the argv reading (quotes are characters) still finds the verb and the target
    ('ngrok "tcp 22', inv("tcp", target="22", target_port="22", arguments="tcp 22")),
    ('ngrok tcp 22 --region "', inv("tcp", target="22", target_port="22", arguments="tcp 22 --region ")),
]


@pytest.mark.parametrize("line, expected", UNBALANCED, ids=[case[0] for case in UNBALANCED])
def test_unbalanced_quotes(line, expected):
    assert parse(line) == expected


UNICODE = [
    ("ngrok http ünï:8080", inv("http", target="ünï:8080", target_port="8080", arguments="http ünï:8080")),
    ("/tmp/ñgrök tcp 22", inv("tcp", target="22", target_port="22", arguments="tcp 22", paths=["/tmp/ñgrök"])),
    ("ngrok\u00a0tcp\u200922", inv("tcp", target="22", target_port="22", arguments="tcp 22")),
    ("ngrok http 日本.example:80",
     inv("http", target="日本.example:80", target_port="80", arguments="http 日本.example:80")),
    ("ngrok tcp 22 --region 🚀", inv("tcp", target="22", target_port="22", arguments="tcp 22 --region 🚀")),
]


@pytest.mark.parametrize("line, expected", UNICODE, ids=[case[0] for case in UNICODE])
def test_unicode(line, expected):
    assert parse(line) == expected


MEGABYTE = 1_000_000


@pytest.mark.parametrize(
    "line, subcommand, target",
    [
        ("ngrok tcp 22 " + "a" * MEGABYTE, "tcp", "22"),
        ("ngrok tcp " + "x" * MEGABYTE, "tcp", "x" * MEGABYTE),
        ('ngrok tcp "' + "a " * (MEGABYTE // 2), "tcp", "a " * (MEGABYTE // 2)),
        ("ngrok " + "-x " * (MEGABYTE // 3), "", ""),
        ("'\"" * (MEGABYTE // 2), "", ""),
        (" " * MEGABYTE, "", ""),
        ("ngrok tcp --metadata " + "a " * (MEGABYTE // 2) + "22", "tcp", "22"),
    ],
    ids=["long-tail-word", "long-target", "long-unterminated-quote", "many-flags", "many-quotes", "spaces",
         "long-unquoted-value"],
)
def test_very_long_lines_are_read_whole(line, subcommand, target):
    # How fast: scripts/benchmark.py measures these shapes and worse (a test never depends on the machine's speed).
    result = parse(line)
    assert (result.subcommand, result.target) == (subcommand, target)


def test_parse_never_raises_on_odd_text():
    for line in ["'", '"', "''", '""', "-", "--", "-=", "--=x", "=", "ngrok -", "ngrok --config", "ngrok --config=",
                 "ngrok tcp ''", "\\", "ngrok \\ tcp", "$(ngrok tcp 22)", "`ngrok`", "ngrok http ::1"]:
        result = parse(line)
        assert isinstance(result, NgrokInvocation)
        assert isinstance(result.paths, tuple)


# ----------------------------------------------------------------------------------------------- split_words

SPLITS = [
    ("ngrok tcp 22", ["ngrok", "tcp", "22"]),
    ("  a   b\tc\n d ", ["a", "b", "c", "d"]),
    ('a "b c" d', ["a", "b c", "d"]),
    ("a 'b c' d", ["a", "b c", "d"]),
    ('a"b c"d e', ["ab cd", "e"]),
    ("--config=\"/x y.yml\"", ["--config=/x y.yml"]),
    ('a "" b', ["a", "", "b"]),
    ("x 'a b", ["x", "a b"]),
    ('x "a b', ["x", "a b"]),
    ("", []),
    ("   ", []),
]


@pytest.mark.parametrize("line, words", SPLITS, ids=[case[0] for case in SPLITS])
def test_split_words(line, words):
    assert split_words(line) == words


@pytest.mark.parametrize(
    "line, words",
    [("echo \"it's\"", ["echo", "it's"]), ("a 'say \"hi\"'", ["a", 'say "hi"'])],
)
def test_split_words_keeps_other_quote_inside_quotes(line, words):
    assert split_words(line) == words


# ----------------------------------------------------------------------------------------------- target_port

PORTS = [
    ("", "tcp", ""),
    ("22", "tcp", "22"),
    ("localhost:22", "tcp", "22"),
    ("example.com", "tcp", ""),
    ("example.com", "http", "80"),
    ("example.com", "tls", "443"),
    ("https://localhost", "http", "443"),
    ("HTTPS://localhost", "tcp", "443"),
    ("http://x/", "tcp", "80"),
    ("http://10.0.0.5:8080/x", "http", "8080"),
    ("x:22/a:b", "http", "22"),
    ("x:123456", "tcp", ""),
    ("ftp://x", "http", ""),
    ("[::1]:8443", "tls", "8443"),
]


@pytest.mark.parametrize("target, subcommand, port", PORTS, ids=["%s-%s" % (t, s) for t, s, _ in PORTS])
def test_target_port(target, subcommand, port):
    assert target_port(target, subcommand) == port


# ------------------------------------------------------------------------------------------------ properties

from hypothesis import given, settings, strategies as st  # noqa: E402

_ALPHABET = st.sampled_from(list("ngrok tcp http 22 -=:/\"'&;|<>\t\n\\$é\u00a0NGROK_AUTHTOKEN"))


@settings(max_examples=150, deadline=None, database=None)
@given(st.text(_ALPHABET, max_size=60) | st.text(max_size=60))
def test_parse_never_raises_and_fields_are_consistent(line):
    result = parse(line)
    assert isinstance(result, NgrokInvocation)
    assert all(isinstance(value, str) for value in result[:5])
    assert isinstance(result.paths, tuple) and isinstance(result.has_authtoken, bool)
    assert result.action == result.subcommand or result.action.startswith(result.subcommand + " ")
    assert result.subcommand == result.subcommand.lower()
    if result.target:
        assert result.subcommand in ngrok_cmdline.TUNNEL_VERBS
    if result.target_port:
        assert result.target_port.isdigit()


# ------------------------------------------------------- every flag of the agent CLI (ngrok docs, v3 and v2)

# Flags that take a value, as ngrok's agent CLI reference (https://ngrok.com/docs/agent/cli/) and the v2 agent's
# help list them for http, tcp, tls, tunnel, start, service, config, diagnose, update and the api command's
# credential flags. Written out here, not imported, so that a flag dropped from the parser's table fails a test.
DOCUMENTED_VALUE_FLAGS = """
    config log log-level log-format authtoken api-key region url domain hostname subdomain remote-addr binding
    basic-auth host-header metadata description name label oauth oauth-allow-domain oauth-allow-email oauth-scope
    oauth-client-id oauth-client-secret oidc oidc-client-id oidc-client-secret oidc-scope cidr-allow cidr-deny
    circuit-breaker request-header-add request-header-remove response-header-add response-header-remove
    verify-webhook verify-webhook-secret ua-filter-allow ua-filter-deny traffic-policy-file traffic-policy-url
    policy-file upstream-protocol upstream-proxy-protocol proxy-proto upstream-tls-verify-cas crt key
    mutual-tls-cas terminate-at scheme app-protocol channel write-report
    auth bind-tls client-cas
""".split()
DOCUMENTED_SWITCHES = "all none inspect pooling-enabled upstream-tls-verify compression websocket-tcp-converter " \
                      "dry-run relocate ipv6".split()


@pytest.mark.parametrize("flag", DOCUMENTED_VALUE_FLAGS)
@pytest.mark.parametrize("dashes", ["--", "-"])
def test_every_documented_value_flag_takes_its_value(flag, dashes):
    assert parse("ngrok tcp %s%s somevalue 22" % (dashes, flag)).target == "22"
    assert parse("ngrok %s%s somevalue tcp 3389" % (dashes, flag))[:2] == ("tcp", "tcp")
    assert parse("ngrok tcp %s%s=somevalue 22" % (dashes, flag)).target == "22"


@pytest.mark.parametrize("flag", DOCUMENTED_SWITCHES)
def test_every_documented_switch_takes_no_value(flag):
    assert parse("ngrok tcp --%s 22" % flag).target == "22"
    assert parse("ngrok tcp --%s=false 22" % flag).target == "22"


MISSED_FORMS = [
    # (line, subcommand, action, target, arguments)
    ("ngrok --config /etc/n.yml service install", "service", "service install", "",
     "service install --config /etc/n.yml"),
    ("ngrok --log stdout service --config=/etc/n.yml start", "service", "service start", "",
     "service start --log stdout --config=/etc/n.yml"),
    ("ngrok start -all", "start", "start", "", "start --all"),
    ("ngrok -config /tmp/a.yml start -all", "start", "start", "", "start --config /tmp/a.yml --all"),
    ("ngrok tunnel --label edge=edghts_2Ls 22", "tunnel", "tunnel", "22", "tunnel 22 --label edge=edghts_2Ls"),
    ("ngrok tunnel --label edge=a --label app=b --proxy-proto 2 localhost:3389", "tunnel", "tunnel",
     "localhost:3389", "tunnel localhost:3389 --label edge=a --label app=b --proxy-proto 2"),
    ("ngrok tcp --proxy-proto 1 22", "tcp", "tcp", "22", "tcp 22 --proxy-proto 1"),
    ("ngrok tcp --upstream-proxy-protocol 2 3389", "tcp", "tcp", "3389", "tcp 3389 --upstream-proxy-protocol 2"),
    ("ngrok tcp --remote-addr 1.tcp.ngrok.io:20000 22", "tcp", "tcp", "22",
     "tcp 22 --remote-addr 1.tcp.ngrok.io:20000"),
    ("ngrok tls --crt /tmp/c.pem --key /tmp/k.pem 5986", "tls", "tls", "5986",
     "tls 5986 --crt /tmp/c.pem --key /tmp/k.pem"),
    ("ngrok http -bind-tls both -inspect=false 5985", "http", "http", "5985",
     "http 5985 --bind-tls both --inspect=false"),
    ("ngrok http --pooling-enabled --url https://a.ngrok.app 80", "http", "http", "80",
     "http 80 --pooling-enabled --url https://a.ngrok.app"),
    ("ngrok diagnose -r eu -w /tmp/r.json", "diagnose", "diagnose", "", "diagnose -r eu -w /tmp/r.json"),
    ("ngrok update --channel beta", "update", "update", "", "update --channel beta"),
    ("ngrok api --api-key K secrets create --value V", "api", "api secrets", "",
     "api secrets create --api-key K --value V"),
]


@pytest.mark.parametrize("line, subcommand, action, target, arguments", MISSED_FORMS,
                         ids=[case[0] for case in MISSED_FORMS])
def test_forms_the_old_parser_missed(line, subcommand, action, target, arguments):
    found = parse(line)
    assert (found.subcommand, found.action, found.target, found.arguments) == (subcommand, action, target, arguments)


# ---------------------------------------------------- shell metacharacters inside values never hide the target

METACHARACTER_VALUES = ["R&D", "x;", "a|b", ">x", "<x", "2>&1", "it's", "C:\\", 'say "hi', "a && b", "x; ngrok version",
                        "`id`", "$(id)", "a\\", "&", ";", "|", ">", "x >/dev/null", "\\;", "'", '"']


def _quoted(value):
    return "'" + value.replace("'", "'\"'\"'") + "'"


@pytest.mark.parametrize("value", METACHARACTER_VALUES)
@pytest.mark.parametrize("shape", ["ngrok tcp --metadata {v} 22", "ngrok tcp 22 --metadata {v}",
                                   "ngrok --metadata {v} tcp 22", "ngrok tcp --log {v} --region eu 22",
                                   "/tmp/.x tcp --description {v} 22"])
@pytest.mark.parametrize("quoting", ["sysmon", "shell"])
def test_shell_syntax_inside_a_value_never_hides_the_target(value, shape, quoting):
    line = shape.format(v=value if quoting == "sysmon" else _quoted(value))
    found = parse_all(line)
    assert (found[0].subcommand, found[0].target_port) == ("tcp", "22"), found
    assert "22" in [i.target_port for i in found]


def test_nul_separated_argv_reads_like_spaces():
    assert parse("/tmp/ngrok\x00tcp\x00--log\x00stdout\x0022") == parse("/tmp/ngrok tcp --log stdout 22")


def test_a_multi_word_value_logged_unquoted_does_not_steal_the_target():
    # --metadata "hello world" logged by Sysmon as --metadata hello world: the target is still 22.
    assert parse("ngrok tcp --metadata hello world 22").target == "22"
    assert parse("ngrok tcp 22 --metadata hello world").target == "22"
    assert parse("ngrok http --basic-auth admin:correct horse 8080").target == "8080"
    assert parse("ngrok http 8080 --description Port 22 backup").target == "8080"  # no false remote-admin port
    assert parse("ngrok --metadata x help tcp 22")[:3] == ("tcp", "tcp", "22")
