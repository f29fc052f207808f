"""Adversarial cases, each a named test: what an intruder who controls command lines, or an admin with a broken
lookup, or a broken stream from splunkd, can do to the command."""

import json
import os
import shutil
import time

import pytest

from ngrokscore_local import CommandSession, ProtocolError, rows_to_csv, run

from sa_ngrok_detection import allowlist
from sa_ngrok_detection.redaction import MASK

SECRET = "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2oKqWzV6xE4nMiT"
HEADER = "dest,user,parent_process_name,process,reason,owner,expires\n"


@pytest.fixture
def app_copy(tmp_path, built_app):
    target = tmp_path / "SA-ngrok-detection"
    shutil.copytree(built_app, str(target))
    return target


def write_allowlist(app_dir, text, name="ngrok_allowlist.csv"):
    with open(os.path.join(str(app_dir), "lookups", name), "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def errors(result):
    return [text for level, text in result.messages if level in ("ERROR", "FATAL")]


def test_template_injection_through_field_values():
    row = {"dest": "$process$", "user": "$risk_score$ $$ {0} {dest} %s", "parent_process_name": "$user$",
           "process_name": "$$process$$", "process": "ngrok tcp 22 --authtoken " + SECRET}
    [out] = run([row], ["message=$parent_process_name$ | $dest$ | $user$ | $process$ | $process_name$"]).rows
    assert out["risk_message"] == ("$user$ | $process$ | $risk_score$ $$ {0} {dest} %s | ngrok tcp 22 --authtoken "
                                   + MASK + " | $$process$$")
    assert SECRET not in json.dumps(out)


SECRET_FORMS = [
    "ngrok tcp 22 --authtoken %s", "ngrok tcp 22 --authtoken=%s", "ngrok tcp 22 --AUTHTOKEN=%s",
    "ngrok tcp 22 --authtoken \"%s\"", "ngrok tcp 22 --authtoken '%s'", "ngrok tcp 22 --authtoken = %s",
    "ngrok tcp 22 -authtoken %s", "ngrok authtoken %s", "ngrok AuthToken %s", "ngrok config add-authtoken %s",
    "ngrok config ADD-AUTHTOKEN \"%s\"", "ngrok config add-authtoken --config /etc/ngrok.yml %s",
    "NGROK_AUTHTOKEN=%s ngrok http 80", "env ngrok_authtoken='%s' ngrok http 80", "ngrok --api-key %s api",
    "ngrok config add-api-key %s", "NGROK_API_KEY=%s ngrok api endpoints list",
    "ngrok http 80 --basic-auth admin:%s", "ngrok http 80 -auth=\"admin:%s\"",
    "ngrok http 80 --oauth-client-secret %s", "ngrok http 80 --oidc-client-secret=%s",
    "ngrok http 80 --verify-webhook-secret %s", "ngrok tcp 22 --authtoken=abc\"%s\"",
    "ngrok tcp 22 --authtoken a\\ %s", "sh -c \"ngrok tcp 22 --authtoken %s\"",
]


@pytest.mark.parametrize("form", SECRET_FORMS)
def test_secrets_in_every_form_ngrok_accepts_never_reach_the_output(form):
    line = form % SECRET
    row = {"dest": "h", "user": "u", "process": line, "parent_process": "bash -c '%s'" % line,
           "CommandLine": line}
    [out] = run([row], ["message=$process$ / $parent_process$ / $CommandLine$"]).rows
    for field in ("process", "parent_process", "CommandLine", "risk_message"):
        assert SECRET not in out[field], (field, out[field])
        assert MASK in out[field]


def test_allowlist_bypass_attempts_are_refused_and_reported(app_copy):
    write_allowlist(app_copy, HEADER +
                    "*,*,*,*,match everything,,\n"
                    " * , ** ,\t,***,whitespace and stars,,\n"
                    ",,,,all empty,,\n"
                    "*,,,,star host,,\n"
                    "web-01,,,,   ,,\n"
                    "WEB-01,,,,case does not matter,,\n")
    rows = [{"dest": "web-01", "process": "ngrok tcp 22"}, {"dest": "db-02", "process": "ngrok tcp 22"}]
    result = run(rows, app_dir=str(app_copy))
    assert [row["allowlisted"] for row in result.rows] == ["true", "false"]
    assert result.rows[0]["allowlist_reason"] == "case does not matter"
    assert len(errors(result)) == 5  # four match-everything entries and a blank reason


def test_an_attacker_cannot_reach_an_anchored_process_pattern(app_copy):
    # Patterns match the whole command line: "ngrok http 3000" does not match a line that merely contains it.
    write_allowlist(app_copy, HEADER + "ci-01,build,,ngrok http 3000,CI previews,,\n"
                                       "ci-02,build,,*ngrok http 3000*,loose pattern,,\n")
    sneaky = "ngrok tcp 22 --description 'ngrok http 3000'"
    rows = [{"dest": "ci-01", "user": "build", "process": sneaky},
            {"dest": "ci-01", "user": "build", "process": "ngrok http 3000"},
            {"dest": "ci-02", "user": "build", "process": sneaky}]
    out = run(rows, app_dir=str(app_copy)).rows
    # The loose "*...*" pattern is the admin's risk: documented in the README.
    assert [row["allowlisted"] for row in out] == ["false", "true", "true"]


def test_multivalue_tricks_do_not_widen_the_allowlist(app_copy):
    write_allowlist(app_copy, HEADER + "web-01,www-data,,,web host,,\n")
    rows = [{"dest": ["web-01", "db-02"], "user": "root"}, {"dest": "web-01", "user": ["root", "www-data"]},
            {"dest": "web-01 ", "user": "www-data"}]
    out = run(rows, app_dir=str(app_copy)).rows
    # Any value of a multivalue field may match (documented); a trailing space is a different host.
    assert [row["allowlisted"] for row in out] == ["false", "true", "false"]


@pytest.mark.parametrize("name", ["../../../../etc/passwd", "..%2f..%2fetc%2fpasswd.csv", "/etc/passwd",
                                  "lookups/../../bin/ngrokscore.py", "..\\..\\x.csv", "x.csv/..", ".x.csv",
                                  "C:\\x.csv", "x.csv\x00.txt", "%2e%2e%2fx.csv", "~root/x.csv"])
def test_lookup_path_traversal_through_options_is_refused(name):
    result = run([{"dest": "h"}], ["allowlist=" + name])
    [error] = errors(result)
    assert "invalid value allowlist=" in error and "plain file name" in error
    assert result.exit_code == 1 and result.rows == []


@pytest.mark.parametrize("payload", ["=cmd|' /C calc'!A0", "+SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
                                     "@SUM(1+1)*cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\",\"y\")", "\t=1+1"])
def test_csv_formula_payloads_pass_through_untouched(payload):
    row = {"dest": payload, "user": payload, "process": payload, "notes": payload}
    [out] = run([row]).rows
    assert (out["dest"], out["user"], out["process"], out["notes"]) == (payload,) * 4
    assert out["risk_message"].startswith("A reverse proxy")


def test_a_100000_entry_allowlist_stays_indexed(tmp_path):
    body = "".join("host-%06d,svc,,,entry %d,,\n" % (i, i) for i in range(99990))
    body += "".join("fleet-%d-*,,,,fleet %d,,\n" % (i, i) for i in range(10))
    (tmp_path / "big.csv").write_text(HEADER + body, encoding="utf-8")
    table = allowlist.load("big.csv", lookups_dir=str(tmp_path))
    assert len(table.entries) == 100000 and table.errors == []

    def values(dest, user="svc"):
        return lambda field: {"dest": [dest], "user": [user]}.get(field, [])

    assert len(table.candidates(values("host-054321"))) == 1  # its own entry: fleet-N-* are indexed by prefix
    assert table.match(values("host-054321")).reason == "entry 54321"
    assert table.match(values("fleet-3-node-9", "x")).reason == "fleet 3"
    assert table.match(values("host-1000000")) is None


@pytest.mark.parametrize("name, data", [
    ("bad header", b"chunked 1.0,abc\n"),
    ("not the protocol", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("invalid JSON", b"chunked 1.0,5,0\n{nope"),
    ("wrong first action", b'chunked 1.0,32,0\n{"action":"execute","finished":1}'),
])
def test_a_malformed_stream_from_splunkd_gets_an_error_and_a_clean_exit(name, data):
    session = CommandSession(timeout=30)
    try:
        session.send_raw(data)
        session.process.stdin.close()
        reply, body = session.receive()
        messages = (reply.get("inspector") or {}).get("messages", [])
        assert reply.get("finished") is True and messages and messages[0][0] == "ERROR", reply
        assert session.process.wait(timeout=30) == 1
    finally:
        session.cleanup()


def test_a_truncated_chunk_is_an_error_not_a_smaller_chunk():
    session = CommandSession(timeout=30)
    try:
        session.getinfo([])
        body = rows_to_csv([{"process": "ngrok tcp 22"}] * 3)
        metadata = json.dumps({"action": "execute", "finished": True}).encode()
        session.send_raw(b"chunked 1.0,%d,%d\n" % (len(metadata), len(body) + 50) + metadata + body)
        session.process.stdin.close()
        reply, out = session.receive()
        assert out == b"" and "truncated request from splunkd" in reply["inspector"]["messages"][0][1]
        assert session.process.wait(timeout=30) == 1
    finally:
        session.cleanup()


def test_a_stream_that_stops_mid_header_ends_the_command():
    session = CommandSession(timeout=30)
    try:
        session.getinfo([])
        session.send_raw(b"chunked 1.0,40")
        session.process.stdin.close()
        started = time.monotonic()
        with pytest.raises(ProtocolError):
            while True:
                session.receive()
        assert session.process.wait(timeout=30) != 0 and time.monotonic() - started < 30
    finally:
        session.cleanup()


def test_values_of_several_megabytes():
    huge = "ngrok tcp 22 --authtoken %s " % SECRET + "A" * (4 * 1024 * 1024)
    rows = [{"dest": "h", "process": huge, "notes": "x" * (3 * 1024 * 1024)}]
    [out] = run(rows).rows
    assert out["process"] == huge.replace(SECRET, MASK) and len(out["notes"]) == 3 * 1024 * 1024
    assert out["ngrok_target"] == "22"


# -- issue 9: hostile command lines through the built command (items 2, 3, 4, 5, 8, 13) ----------------------------

def _reasons(out):
    reasons = out["risk_reasons"]
    return " | ".join(reasons) if isinstance(reasons, list) else reasons


def _scored(lines, args=()):
    rows = [{"dest": "h%d" % i, "user": "u", "parent_process_name": "bash", "process": line}
            for i, line in enumerate(lines)]
    return run(rows, list(args)).rows


def _interpreters():
    """This Python, and Splunk 9.x's 3.9 (whose csv reader refuses NUL) and 10.x's 3.13 where pyenv has them."""
    import glob
    import subprocess
    import sys
    found = [("dev", sys.executable)]
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip() or "~/.pyenv"
    for version in ("3.9", "3.13"):
        paths = sorted(glob.glob(os.path.join(os.path.expanduser(root), "versions", version + ".*", "bin", "python")))
        found.append((version, paths[-1] if paths else None))
    return found


@pytest.mark.parametrize("version, python", _interpreters(), ids=["python-dev", "python3.9", "python3.13"])
def test_a_chunk_holding_nul_and_every_private_use_character_keeps_every_row(version, python):
    """Item 2: the old NUL stand-in needed a private-use character the chunk did not hold; a chunk can hold all."""
    if python is None:
        pytest.skip("Python %s is not installed here" % version)
    every_private_use = "".join(chr(code) for code in range(0xE000, 0xF900))
    rows = [{"dest": "h1", "process": "ngrok\x00tcp\x0022 " + every_private_use, "notes": every_private_use},
            {"dest": "h2", "process": "ngrok tcp 3389", "notes": "\x00\ue000\ue001\ue000\ue000\x00"},
            {"dest": "h3", "process": "/tmp/ngrok\x00authtoken\x00" + SECRET, "notes": ""}]
    result = run(rows, python=python)
    assert not errors(result) and result.exit_code == 0
    assert [row["dest"] for row in result.rows] == ["h1", "h2", "h3"]
    assert result.rows[0]["notes"] == every_private_use and result.rows[1]["notes"] == rows[1]["notes"]
    assert result.rows[0]["process"] == rows[0]["process"]  # NUL and every private-use character come back as sent
    assert [row["ngrok_target"] for row in result.rows] == ["22", "3389", ""]
    assert "tunnel exposes a remote-admin port" in _reasons(result.rows[0])
    assert SECRET not in result.rows[2]["process"] and MASK in result.rows[2]["process"]


UNDERSCORED = [
    # item 3: help/version words inside flag values (Sysmon logs argv unquoted)
    "ngrok tcp 22 --log /tmp/.l -h", "ngrok tcp 22 --log x; ngrok version", "ngrok tcp 22 --log x ; ngrok help",
    "ngrok --log help tcp 22", "ngrok tcp 22 --metadata 'x; ngrok version'", "ngrok -v tcp 22",
    "/tmp/.x tcp --description x; ngrok version 22", "ngrok --metadata x help tcp 22",
    # item 4: shell metacharacters inside values
    "ngrok tcp --metadata R&D 22", "ngrok tcp --metadata x; 22", "ngrok tcp --metadata a|b 22",
    "ngrok tcp --log >x 22", "ngrok tcp --metadata it's 22", "ngrok tcp --log C:\\ 22",
    "ngrok tcp --log authtoken 22", "ngrok tcp --authtoken= 22", "ngrok tcp --metadata \"R&D\" 22",
    # item 5: forms the parser missed
    "ngrok tunnel --label edge=edghts_x 22", "ngrok tcp --proxy-proto 1 22",
    "ngrok tcp --upstream-proxy-protocol 2 22", "ngrok tcp --metadata hello world 22",
]


@pytest.mark.parametrize("line", UNDERSCORED)
def test_a_tunnel_to_a_remote_admin_port_is_never_under_scored(line):
    [out] = _scored([line])
    assert out["ngrok_target"].endswith("22"), out["ngrok_target"]
    assert "tunnel exposes a remote-admin port" in _reasons(out)
    assert "informational" not in _reasons(out)
    assert int(out["risk_score"]) >= 80


@pytest.mark.parametrize("line", ["ngrok --config /etc/ngrok.yml service install", "ngrok start -all",
                                  "ngrok -config /tmp/a.yml start -all", "ngrok --log stdout service start"])
def test_persistence_forms_get_the_persistence_points(line):
    [out] = _scored([line])
    assert "persistence" in _reasons(out), out


@pytest.mark.parametrize("line", ["ngrok version", "ngrok --help", "ngrok config check", "ngrok help tcp"])
def test_informational_commands_still_score_low(line):
    [out] = _scored([line])
    assert "informational" in _reasons(out)


LEAKS = [
    '"--authtoken" %s', "'--authtoken' %s", "ngrok\x00tcp\x0022\x00--authtoken\x00%s",
    "ngrok http 80 --basic-auth admin:correct %s", "ngrok authtoken > /dev/null %s",
    "ngrok tcp 22 --authtoken \\\n%s", "ngrok http https://admin:%s@10.0.0.5:8443",
    'ngrok http 80 --request-header-add "X-Api-Key: %s"', 'ngrok http 80 --request-header-add "Authorization: Bearer %s"',
    "ngrok tcp 22 --proxy-url http://u:%s@proxy:3128", "ngrok http 80 --traffic-policy-url https://x/p.yml?token=%s",
    "ngrok api secrets create --name db --value %s",
]


@pytest.mark.parametrize("form", LEAKS, ids=[repr(form) for form in LEAKS])
def test_item_8_secrets_never_reach_the_output(form):
    line = form % SECRET
    row = {"dest": "h", "user": "u", "process": line, "parent_process": "bash -c '%s'" % line, "CommandLine": line}
    [out] = run([row], ["message=$process$ / $ngrok_target$ / $parent_process$"]).rows
    assert SECRET not in json.dumps(out), out


def test_url_user_information_in_the_target_is_masked():
    [out] = _scored(["ngrok http https://admin:%s@10.0.0.5:8443" % SECRET])
    assert out["ngrok_target"] == "https://%s@10.0.0.5:8443" % MASK
    [plain] = _scored(["ngrok http https://admin:%s@10.0.0.5:8443" % SECRET], ["redact=false"])
    assert SECRET in plain["ngrok_target"]  # redact=false shows everything, as documented


@pytest.mark.parametrize("name, data", [
    ("stray newline", b"\n"),
    ("hello", b"hello\n"),
    ("bad JSON", b"chunked 1.0,9,0\n{\"a\": {}"),
    ("second getinfo", b'chunked 1.0,20,0\n{"action":"getinfo"}'),
    ("header with braces", b"chunked 1.0,{x},0\n"),
])
def test_a_malformed_request_after_getinfo_reaches_splunkd_as_an_error(name, data):
    """Item 13: the error goes to splunkd in a reply, not only to stderr."""
    session = CommandSession(timeout=30)
    try:
        session.getinfo([])
        session.execute(rows_to_csv([{"process": "ngrok tcp 22"}]), False)
        session.send_raw(data)
        session.process.stdin.close()
        reply, body = session.receive()
        messages = (reply.get("inspector") or {}).get("messages", [])
        assert reply.get("finished") is True and messages and messages[0][0] == "ERROR", reply
        assert messages[0][1].startswith("ngrokscore: ")
        assert session.process.wait(timeout=30) == 1
    finally:
        session.cleanup()


def test_lookup_problems_are_shown_even_when_the_search_ends_before_any_results(app_copy):
    """Item 13: they go with the getinfo reply, which every search gets."""
    write_allowlist(app_copy, HEADER + ",,,,all empty,,\n")
    session = CommandSession(app_dir=str(app_copy), timeout=30)
    try:
        reply, _ = session.getinfo([])
        messages = (reply.get("inspector") or {}).get("messages", [])
        assert [level for level, _ in messages] == ["ERROR"] and "ngrok_allowlist.csv line 2" in messages[0][1]
        assert session.close() == 0
    finally:
        session.cleanup()
