"""The built ngrokscore command, run as a subprocess and driven over search command protocol v2 as splunkd does.

Every test goes through scripts/ngrokscore_local.py's driver: getinfo with the options in searchinfo.args, execute
chunks, a final empty chunk marked finished.
"""

import csv
import io
import os

import pytest

from ngrokscore_local import ProtocolError, rows_to_csv, run

from sa_ngrok_detection import detection

OUTPUT_FIELDS = detection.OUTPUT_FIELDS

DETECTION_ROW = {
    "dest": "web-prod-03",
    "user": "www-data",
    "parent_process_name": "apache2",
    "process_name": "ngrok",
    "original_file_name": "ngrok",
    "process": "/tmp/ngrok tcp 22 --log=stdout",
    "process_id": "28411",
    "parent_process_id": "1187",
    "count": "1",
    "firstTime": "2026-11-20T02:14:07",
    "lastTime": "2026-11-20T02:14:07",
}


def detection_row(**changes):
    row = dict(DETECTION_ROW)
    row.update(changes)
    return row


def assert_contract(row):
    """Every output field is present and obeys the contract."""
    missing = [field for field in OUTPUT_FIELDS if field not in row]
    assert not missing, "output fields missing: %s" % missing
    assert row["risk_score"].isdigit() and 0 <= int(row["risk_score"]) <= 100
    assert row["mitre_technique_id"] == ["T1572", "T1090", "T1102"]
    assert row["mitre_technique"] == ["Protocol Tunneling", "Proxy", "Web Service"]
    assert row["mitre_tactic"] == "Command And Control"
    assert row["mitre_tactic_id"] == "TA0011"
    assert row["kill_chain_phase"] == "Command and Control"
    assert row["analytic_story"] == "Reverse Network Proxy"
    assert row["detection_id"] == "bc84d574-708c-467d-b78a-4c1e20171f97"
    assert row["allowlisted"] in ("true", "false")
    assert isinstance(row["risk_message"], str) and row["risk_message"]


def reasons(row):
    value = row["risk_reasons"]
    return value if isinstance(value, list) else ([value] if value else [])


def errors_of(result):
    return [text for level, text in result.messages if level in ("ERROR", "FATAL")]


# -- getinfo and the conversation ---------------------------------------------------------------------------------

def test_getinfo_declares_a_distributable_streaming_command(python):
    result = run([detection_row()], python=python)
    assert result.getinfo["type"] == "streaming"
    assert not result.getinfo.get("finished")
    assert result.messages == []
    assert result.exit_code == 0, result.stderr


def test_default_scoring_of_a_detection_row(python):
    result = run([detection_row()], python=python)
    [row] = result.rows
    assert_contract(row)
    assert row["risk_score"] == "100"  # 50 + remote-admin port + /tmp binary + web server parent, clamped
    assert reasons(row) == [
        "tunnel exposes a remote-admin port",
        "ngrok binary or config in a temporary or world-writable path",
        "started by a web server, script interpreter or scheduler",
    ]
    assert row["risk_message"] == ("A reverse proxy was identified spawning from apache2 - ngrok on endpoint "
                                   "web-prod-03 by user www-data")
    assert (row["ngrok_subcommand"], row["ngrok_target"]) == ("tcp", "22")
    assert (row["allowlisted"], row["allowlist_reason"]) == ("false", "")
    assert row["risk_score_breakdown"] == ("base 50 +30 remote_admin_port +15 temporary_path +20 suspicious_parent "
                                           "= 115, capped at 100")
    for field, value in DETECTION_ROW.items():
        assert row[field] == value


def test_each_execute_gets_exactly_one_reply_and_the_last_is_finished(python):
    rows = [detection_row(process_id=str(i)) for i in range(30)]
    result = run(rows, chunk_size=7, python=python)
    assert len(result.replies) == 6  # 5 data chunks (7,7,7,7,2) and the final empty one
    assert [len(reply_rows) for _, _, reply_rows in result.replies] == [7, 7, 7, 7, 2, 0]
    assert [meta.get("finished") for meta, _, _ in result.replies] == [False] * 5 + [True]
    assert [row["process_id"] for row in result.rows] == [str(i) for i in range(30)]
    assert result.exit_code == 0


def test_final_chunk_may_carry_rows(python):
    rows = [detection_row(process_id=str(i)) for i in range(5)]
    result = run(rows, chunk_size=2, empty_final_chunk=False, python=python)
    assert [meta.get("finished") for meta, _, _ in result.replies] == [False, False, True]
    assert [row["process_id"] for row in result.rows] == ["0", "1", "2", "3", "4"]


def test_empty_search_gives_an_empty_finished_reply(python):
    result = run([], python=python)
    assert len(result.replies) == 1
    meta, header, rows = result.replies[0]
    assert meta["finished"] is True and rows == [] and header == []
    assert result.exit_code == 0


@pytest.mark.slow
def test_a_full_50000_row_chunk(python):
    commands = ["ngrok tcp %d" % (1000 + i % 3000) for i in range(50000)]
    rows = [detection_row(process=command, process_id=str(i)) for i, command in enumerate(commands)]
    result = run(rows, python=python)
    assert [len(reply_rows) for _, _, reply_rows in result.replies] == [50000, 0]
    out = result.rows
    assert [row["process_id"] for row in out] == [str(i) for i in range(50000)]
    assert all(row["process"] == command for row, command in zip(out, commands))
    assert all(row["ngrok_target"] == command.split()[-1] for row, command in zip(out, commands))
    assert_contract(out[0])
    assert_contract(out[-1])


# -- values in and out ---------------------------------------------------------------------------------------------

def test_underscore_fields_and_unknown_fields_pass_through_untouched(python):
    row = detection_row(_time="1763604847.000", _raw="Nov 20 02:14:07 web-prod-03 sysmon: ngrok tcp 22",
                        _cd="12:345", _bkt="main~12~ABC", _si=["idx-1", "main"], sourcetype="sysmon:linux",
                        custom_field="keep me")
    [out] = run([row], python=python).rows
    for field, value in row.items():
        assert out[field] == value, field


def test_multivalue_fields_in_and_out(python):
    row = detection_row(dest=["web-prod-03", "web-prod-03.example.com"], user=["www-data", "root"],
                        process=["ngrok tcp 22 --authtoken SECRET1", "ngrok http 80 --authtoken SECRET2"])
    result = run([row], python=python)
    [out] = result.rows
    assert out["dest"] == ["web-prod-03", "web-prod-03.example.com"]
    assert out["user"] == ["www-data", "root"]
    assert out["process"] == ["ngrok tcp 22 --authtoken ********", "ngrok http 80 --authtoken ********"]
    assert "running as root" in reasons(out)
    assert isinstance(out["risk_reasons"], list) and len(out["risk_reasons"]) >= 2
    assert "web-prod-03, web-prod-03.example.com" in out["risk_message"]
    assert "www-data, root" in out["risk_message"]
    assert_contract(out)


def test_unicode_quotes_and_newlines_survive(python):
    tricky = {
        "user": "jürgen😀",
        "dest": 'host "with" quotes, and comma',
        "process": 'ngrok http 8080 --description "line one\nline two" --label a,b',
        "notes": "tab\there\r\nCRLF and a lone \r carriage return",
        "empty": "",
    }
    row = detection_row(**tricky)
    [out] = run([row], python=python).rows
    for field, value in tricky.items():
        assert out[field] == value, field
    assert "jürgen😀" in out["risk_message"]


def test_missing_fields_never_crash_a_row(python):
    rows = [{"process": "ngrok tcp 3389"}, {"_time": "1"}, {"dest": "only-dest"}, {"user": ""}]
    result = run(rows, python=python)
    assert result.exit_code == 0 and errors_of(result) == []
    out = result.rows
    assert len(out) == 4
    for row in out:
        assert_contract(row)
    assert out[0]["ngrok_target"] == "3389" and out[0]["risk_score"] == "80"
    assert out[0]["risk_message"] == ("A reverse proxy was identified spawning from unknown - unknown on endpoint "
                                      "unknown by user unknown")
    assert out[1]["risk_score"] == "50" and out[1]["ngrok_subcommand"] == ""


def test_rows_with_the_datamodel_prefix(python):
    row = {"Processes." + name: value for name, value in DETECTION_ROW.items()}
    [out] = run([row], python=python).rows
    assert out["risk_message"] == ("A reverse proxy was identified spawning from apache2 - ngrok on endpoint "
                                   "web-prod-03 by user www-data")
    assert out["ngrok_target"] == "22" and out["risk_score"] == "100"
    assert "Processes.dest" in out and "dest" not in out  # input names are kept as they came


def test_raw_sysmon_for_linux_events(python):
    event = {"_raw": "<Event>...</Event>", "Computer": "db-01", "User": "root",
             "Image": "/dev/shm/ngrok", "ParentImage": "/usr/bin/python3",
             "CommandLine": "/dev/shm/ngrok tcp 22 --authtoken=abc123", "host": "db-01"}
    [out] = run([event]).rows
    assert out["risk_message"] == ("A reverse proxy was identified spawning from python3 - ngrok on endpoint db-01 "
                                   "by user root")
    assert out["CommandLine"] == "/dev/shm/ngrok tcp 22 --authtoken=********"
    assert "abc123" not in str(out)
    assert out["risk_score"] == "100"


def test_rows_keep_their_order_and_count_across_mixed_shapes(python):
    rows = [detection_row(process_id=str(i), process=["ngrok tcp 22", "ngrok version"][i % 2]) for i in range(200)]
    out = run(rows, chunk_size=64, python=python).rows
    assert [row["process_id"] for row in out] == [str(i) for i in range(200)]
    assert [row["ngrok_subcommand"] for row in out] == ["tcp", "version"] * 100


def test_raw_csv_chunk_exactly_as_splunkd_writes_it():
    body = (b'dest,user,process,__mv_user\r\n'
            b'h1,"a\nb",ngrok tcp 22,$a$;$b$\r\n'
            b'h2,"x$y",ngrok http 80,\r\n')
    result = run(bodies=[body])
    out = result.rows
    assert out[0]["user"] == ["a", "b"] and out[1]["user"] == "x$y"
    raw_reply = result.replies[0]
    assert raw_reply[1][-4:] == ["dest", "user", "process", "__mv_user"]


# -- options -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expected_score", [
    (["modifiers=false"], 50),
    (["modifiers=false", "impact=80"], 80),
    (["modifiers=false", "impact=80", "confidence=50"], 40),
    (["modifiers=f", "impact=25", "confidence=50"], 13),
    (["modifiers=no", "impact=0"], 0),
    (["modifiers=0", "impact=100", "confidence=100"], 100),
])
def test_base_score_without_modifiers(args, expected_score):
    rows = [detection_row(), detection_row(process="ngrok version"), {"_time": "1"}]
    out = run(rows, args).rows
    assert [row["risk_score"] for row in out] == [str(expected_score)] * 3
    assert all(reasons(row) == [] for row in out)


def test_scores_are_clamped_to_0_and_100():
    out = run([detection_row(), detection_row(process="ngrok version", parent_process_name="bash",
                                              user="kim")], ["impact=100"]).rows
    assert out[0]["risk_score"] == "100"
    out = run([detection_row(process="ngrok version", parent_process_name="bash", user="kim")],
              ["impact=20", "confidence=100"]).rows
    assert out[0]["risk_score"] == "0"
    assert reasons(out[0]) == ["informational ngrok command that opens no tunnel"]
    assert out[0]["risk_score_breakdown"] == "base 20 -40 informational_verb = -20, raised to 0"


def test_the_breakdown_names_the_base_each_modifiers_points_and_the_cap(app_copy):
    write_lookup(app_copy, "ngrok_risk_modifiers.csv",
                 "modifier,field,patterns,score,reason,enabled\n"
                 "lab_host,dest,lab-*,-25,lab host,true\n"
                 "ssh,ngrok_target_port,8022,35,SSH exposed,true\n")
    # The admin's rows come on top of the shipped ones: these rows meet none of the shipped modifiers.
    rows = [detection_row(dest="lab-1", parent_process_name="bash", process="ngrok tcp 8022"),
            detection_row(parent_process_name="bash", process="ngrok tcp 8022"),
            detection_row(parent_process_name="bash", process="ngrok http 80")]
    out = run(rows, ["impact=80", "confidence=75"], app_dir=str(app_copy)).rows
    assert [(row["risk_score"], row["risk_score_breakdown"]) for row in out] == [
        ("70", "base 60 -25 lab_host +35 ssh = 70"),
        ("95", "base 60 +35 ssh = 95"),
        ("60", "base 60 = 60"),
    ]
    assert [reasons(row) for row in out] == [["lab host", "SSH exposed"], ["SSH exposed"], []]
    [row] = run([detection_row()], ["modifiers=false"], app_dir=str(app_copy)).rows
    assert row["risk_score_breakdown"] == "base 50 = 50 (modifiers off)"


def test_custom_message_template():
    args = ["message=ngrok $ngrok_subcommand$ to $ngrok_target$ on $dest$ scored $risk_score$ ($missing$)"]
    [out] = run([detection_row()], args).rows
    assert out["risk_message"] == "ngrok tcp to 22 on web-prod-03 scored 100 (unknown)"


def test_field_values_cannot_inject_into_the_message():
    row = detection_row(dest="$user$", user="$process$", parent_process_name="{0} %s $$")
    [out] = run([row]).rows
    assert out["risk_message"] == ("A reverse proxy was identified spawning from {0} %s $$ - ngrok on endpoint "
                                   "$user$ by user $process$")


def test_redaction_on_and_off():
    row = detection_row(process="ngrok tcp 22 --authtoken 2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2",
                        parent_process="bash -c NGROK_AUTHTOKEN=2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2 ngrok tcp 22")
    message = ["message=$process$ | $parent_process$"]
    [masked] = run([row], message).rows
    assert "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2" not in repr(masked)
    assert masked["process"] == "ngrok tcp 22 --authtoken ********"
    assert masked["parent_process"] == "bash -c NGROK_AUTHTOKEN=******** ngrok tcp 22"
    assert masked["risk_message"] == masked["process"] + " | " + masked["parent_process"]
    [clear] = run([row], message + ["redact=false"]).rows
    assert clear["process"] == row["process"] and clear["parent_process"] == row["parent_process"]
    assert "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2" in clear["risk_message"]


def test_message_values_are_masked_each_on_its_own_and_once():
    # A value holding a secret is masked wherever it comes from; the masked process appears exactly as the process
    # column shows it (masking is not idempotent on hostile shapes: a second pass over an already masked line could
    # show something else, and would cost a second pass over a long line).
    hostile = "ngrok http --basic-auth \\ \x00'\x00\\ \x00a'\x00--\x00x\"y\x00>"
    row = detection_row(process=hostile, user="--authtoken 2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2",
                        process_path="https://admin:hunter2hunter2@example.net/ngrok")
    [out] = run([row], ["message=$process$ | $user$ | $process_path$"]).rows
    assert out["risk_message"] == " | ".join([out["process"], "--authtoken ********",
                                              "https://********@example.net/ngrok"])
    assert "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2" not in out["risk_message"] and "hunter2" not in out["risk_message"]


@pytest.mark.parametrize("arg, named", [
    ("impact=101", "impact='101'"),
    ("impact=-1", "impact='-1'"),
    ("impact=high", "impact='high'"),
    ("confidence=1.5", "confidence='1.5'"),
    ("confidence=", "confidence=''"),
    ("modifiers=maybe", "modifiers='maybe'"),
    ("redact=2", "redact='2'"),
    ("on_allowlist=keep", "on_allowlist='keep'"),
    ("allowlist=../../../etc/passwd", "allowlist='../../../etc/passwd'"),
    ("allowlist=/etc/passwd", "allowlist='/etc/passwd'"),
    ("allowlist=sub/ngrok_allowlist.csv", "allowlist='sub/ngrok_allowlist.csv'"),
    ("allowlist=allow.txt", "allowlist='allow.txt'"),
    ("message=", "message=''"),
    ("impact={}", "impact='{}'"),
])
def test_bad_option_values_fail_the_search_naming_option_value_and_what_is_allowed(arg, named, python):
    result = run([detection_row()], [arg], python=python)
    errors = errors_of(result)
    assert len(errors) == 1, result.messages
    assert named in errors[0]
    assert "expected" in errors[0]
    assert result.exit_code == 1
    assert result.rows == []


def test_unknown_options_and_words_are_refused_with_the_list_of_options():
    result = run([detection_row()], ["impakt=50", "verbose"])
    [error] = errors_of(result)
    assert "'impakt=50'" in error and "'verbose'" in error
    for name in ("impact", "confidence", "message", "modifiers", "allowlist", "on_allowlist", "redact"):
        assert name in error
    assert result.exit_code == 1


@pytest.mark.parametrize("args, error", [
    (["impact=50", "impact=60"],
     "ngrokscore: option impact is given more than once: impact='50', impact='60'; give each option once"),
    (["redact=true", "on_allowlist=drop", "redact=true"],
     "ngrokscore: option redact is given more than once: redact='true', redact='true'; give each option once"),
    (["message=a $dest$", "impact=1", "message=b", "impact=2"],
     "ngrokscore: options message, impact are given more than once: message='a $dest$', message='b'; "
     "impact='1', impact='2'; give each option once"),
])
def test_a_repeated_option_fails_the_search_naming_it(args, error, python):
    result = run([detection_row()], args, python=python)
    assert errors_of(result) == [error]
    assert result.exit_code == 1
    assert result.rows == []


def warnings_of(result):
    return [text for level, text in result.messages if level == "WARN"]


@pytest.mark.parametrize("message, warning", [
    ("score $risk_score on $dest",
     "ngrokscore: check the message template: $risk_score, $dest lack a closing or opening $ and are shown as "
     "written (a field is written $name$)"),
    ("ngrok on $dest$ by $usr$",
     "ngrokscore: check the message template: $usr$ is not a field of the detection's results or of ngrokscore's "
     "output: it renders as \"unknown\" unless the results have a field of that name"),
    ("{0} on $dest$ {port} $ngrok_target_port$ $x",
     "ngrokscore: check the message template: $ngrok_target_port$ is not a field of the detection's results or of "
     "ngrokscore's output: it renders as \"unknown\" unless the results have a field of that name; $x lacks a "
     "closing or opening $ and is shown as written (a field is written $name$)"),
])
def test_template_mistakes_warn_once_at_search_start_and_the_search_runs(message, warning, python):
    rows = [detection_row(process_id=str(i)) for i in range(5)]
    result = run(rows, ["message=" + message], chunk_size=2, python=python)
    assert result.messages == [("WARN", warning)]  # once, however many chunks
    # At search start: with the getinfo reply or the first results, the replies splunkd shows messages of.
    early = [message for metadata in (result.getinfo, result.replies[0][0])
             for message in ((metadata.get("inspector") or {}).get("messages") or [])]
    assert early == [["WARN", warning]]
    assert result.exit_code == 0
    assert len(result.rows) == 5 and all(row["risk_score"] == "100" for row in result.rows)


def test_a_template_field_the_results_have_renders_although_it_was_warned_about():
    result = run([detection_row(ticket="INC-7")], ["message=ngrok on $dest$ ($ticket$)"])
    [warning] = warnings_of(result)
    assert "$ticket$ is not a field" in warning and "unless the results have a field of that name" in warning
    assert result.rows[0]["risk_message"] == "ngrok on web-prod-03 (INC-7)"


def test_good_templates_raise_no_warning():
    args = ["message=$dest$ $Processes.user$ $CommandLine$ $risk_score$ $risk_score_breakdown$ $firstTime$ $_time$"]
    result = run([detection_row()], args)
    assert result.messages == []
    assert result.rows[0]["risk_message"].startswith("web-prod-03 unknown unknown 100 base 50 +30 ")


# -- allowlist ----------------------------------------------------------------------------------------------------

ALLOWLIST_HEADER = "dest,user,parent_process_name,process,reason,owner,expires\n"


def write_lookup(app_dir, name, text):
    with open(os.path.join(str(app_dir), "lookups", name), "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def test_allowlisted_rows_are_marked_with_the_reason(app_copy):
    write_lookup(app_copy, "ngrok_allowlist.csv", ALLOWLIST_HEADER +
                 "CI-RUNNER-*,build,,ngrok http 3000*,CI preview tunnels,web@example.com,2099-12-31\n")
    rows = [detection_row(dest="ci-runner-07", user="Build", process="ngrok http 3000 --log stdout",
                          parent_process_name="bash"),
            detection_row(dest="ci-runner-07", user="build", process="ngrok tcp 22"),
            detection_row()]
    result = run(rows, app_dir=str(app_copy))
    out = result.rows
    assert [row["allowlisted"] for row in out] == ["true", "false", "false"]
    assert [row["allowlist_reason"] for row in out] == ["CI preview tunnels", "", ""]
    assert out[0]["risk_score"] == "50"  # allowlisted rows keep their score
    assert result.messages == []


def _tree(folder):
    """Every path under a folder with its size and modification time."""
    found = {}
    for root, dirs, files in os.walk(str(folder)):
        for name in dirs + files:
            path = os.path.join(root, name)
            info = os.lstat(path)
            found[os.path.relpath(path, str(folder))] = (info.st_size, info.st_mtime_ns)
    return found


def test_the_allowlist_index_is_persisted_outside_the_app_and_reused(app_copy, tmp_path, monkeypatch, python):
    """Search after search, the parsed and indexed allowlist is read from $SPLUNK_HOME/var/run, never written into
    the app folder (read-only, or a knowledge bundle on an indexer), and decides the same."""
    splunk_home = tmp_path / "splunk"
    monkeypatch.setenv("SPLUNK_HOME", str(splunk_home))
    write_lookup(app_copy, "ngrok_allowlist.csv", ALLOWLIST_HEADER + "web-prod-*,www-data,,*tcp 22*,web fleet,,\n")
    before = _tree(app_copy)
    for chmod in (False, True):
        if chmod:
            for root, dirs, files in os.walk(str(app_copy)):
                for name in dirs + files:
                    os.chmod(os.path.join(root, name), 0o555 if name in dirs else 0o444)
        result = run([detection_row(), detection_row(dest="db-01")], app_dir=str(app_copy), python=python)
        assert [row["allowlist_reason"] for row in result.rows] == ["web fleet", ""]
        assert errors_of(result) == [] and result.exit_code == 0
    for root, dirs, _ in os.walk(str(app_copy)):
        os.chmod(root, 0o755)
    after = _tree(app_copy)
    assert {path: size for path, (size, _) in after.items()} == {path: size for path, (size, _) in before.items()}
    cache = splunk_home / "var" / "run" / "SA-ngrok-detection" / "index-cache"
    assert len(os.listdir(str(cache))) == 1


def test_no_usable_cache_folder_changes_nothing(app_copy, tmp_path, monkeypatch):
    not_a_folder = tmp_path / "splunk"
    not_a_folder.write_text("a file where SPLUNK_HOME should be")
    monkeypatch.setenv("SPLUNK_HOME", str(not_a_folder))
    write_lookup(app_copy, "ngrok_allowlist.csv", ALLOWLIST_HEADER + "web-prod-03,,,,known,,\n")
    result = run([detection_row()], app_dir=str(app_copy))
    assert result.rows[0]["allowlist_reason"] == "known" and result.messages == [] and result.exit_code == 0


def test_on_allowlist_drop_removes_allowlisted_rows(app_copy):
    write_lookup(app_copy, "ngrok_allowlist.csv", ALLOWLIST_HEADER + "web-prod-03,,,,known,,\n")
    rows = [detection_row(process_id="1"), detection_row(dest="other", process_id="2"),
            detection_row(process_id="3")]
    out = run(rows, ["on_allowlist=drop"], app_dir=str(app_copy)).rows
    assert [row["process_id"] for row in out] == ["2"]


def test_allowlist_none_and_an_alternative_file(app_copy):
    write_lookup(app_copy, "ngrok_allowlist.csv", ALLOWLIST_HEADER + "web-prod-03,,,,known,,\n")
    write_lookup(app_copy, "team_allowlist.csv", ALLOWLIST_HEADER + "other,,,,team host,,\n")
    rows = [detection_row(), detection_row(dest="other")]
    assert [r["allowlisted"] for r in run(rows, ["allowlist=none"], app_dir=str(app_copy)).rows] == ["false"] * 2
    assert [r["allowlisted"] for r in run(rows, ["allowlist=team_allowlist.csv"],
                                          app_dir=str(app_copy)).rows] == ["false", "true"]


def test_expired_entries_are_ignored_with_a_warning(app_copy):
    write_lookup(app_copy, "ngrok_allowlist.csv", ALLOWLIST_HEADER +
                 "web-prod-03,,,,old exception,,2020-01-31\n"
                 "other,,,,old too,,2021-06-01\n"
                 "third,,,,current,,2099-01-01\n")
    result = run([detection_row(), detection_row(dest="third")], app_dir=str(app_copy))
    assert [row["allowlisted"] for row in result.rows] == ["false", "true"]
    warnings = [text for level, text in result.messages if level == "WARN"]
    assert warnings == ["ngrokscore: ngrok_allowlist.csv: 2 expired entries ignored (lines 2, 3); "
                        "renew or remove them"]
    assert errors_of(result) == []


def test_bad_allowlist_entries_are_reported_and_never_silence_the_detection(app_copy):
    write_lookup(app_copy, "ngrok_allowlist.csv", ALLOWLIST_HEADER +
                 ",,,,silence everything,,\n"
                 "*,*, ,**,also everything,,\n"
                 "web-prod-03,,,,,,\n"
                 "web-prod-03,,,,bad date,,31/12/2099\n"
                 "web-prod-03,,,too,few\n"
                 "third,,,,a good entry,,\n")
    result = run([detection_row(), detection_row(dest="third")], app_dir=str(app_copy))
    assert [row["allowlisted"] for row in result.rows] == ["false", "true"]
    errors = errors_of(result)
    assert len(errors) == 5, errors
    expected = [("line 2", "would allowlist everything"), ("line 3", "would allowlist everything"),
                ("line 4", "reason is empty"), ("line 5", "'31/12/2099' is not a date"),
                ("line 6", "has 5 fields where the header has 7")]
    for error, (line, problem) in zip(errors, expected):
        assert error.startswith("ngrokscore: ngrok_allowlist.csv " + line + ": "), error
        assert problem in error


@pytest.mark.parametrize("content, problem", [
    ("dest,user,process,reason\nhost,,,x\n", "line 1: the header lacks column(s) parent_process_name"),
    ("", "the file is empty"),
    (ALLOWLIST_HEADER + 'host,,,"unterminated,reason,,\n', "malformed CSV"),
    (ALLOWLIST_HEADER + "host,,,x,re\0ason,,\n", "malformed CSV"),
])
def test_malformed_allowlist_files_give_an_error_and_scoring_goes_on(app_copy, content, problem):
    write_lookup(app_copy, "ngrok_allowlist.csv", content)
    result = run([detection_row()], app_dir=str(app_copy))
    [error] = errors_of(result)
    assert error.startswith("ngrokscore: ngrok_allowlist.csv") and problem in error, error
    [row] = result.rows
    assert row["allowlisted"] == "false" and row["risk_score"] == "100"


def test_missing_allowlist_file_is_an_error_not_a_silent_pass(app_copy):
    result = run([detection_row()], ["allowlist=does_not_exist.csv"], app_dir=str(app_copy))
    [error] = errors_of(result)
    assert "does_not_exist.csv" in error and "cannot be read" in error
    assert result.rows[0]["risk_score"] == "100"


# -- modifiers table -----------------------------------------------------------------------------------------------

MODIFIERS_HEADER = "modifier,field,patterns,score,reason,enabled\n"


def test_modifier_overrides_are_data_admins_can_edit(app_copy):
    """The admin's overrides (never shipped) replace defaults by name, switch them off, or add new modifiers."""
    write_lookup(app_copy, "ngrok_risk_modifiers.csv", MODIFIERS_HEADER +
                 "finance_hosts,dest,fin-*|acct-*,25,finance host,true\n"
                 "remote_admin_port,,,,,false\n"
                 "suspicious_parent,parent_process_name,apache2,5,tuned web server parent,true\n"
                 "disabled_rule,dest,*,90,never applied,false\n")
    rows = [detection_row(dest="FIN-db-2", process="ngrok tcp 22"),
            detection_row(process="ngrok http 80", parent_process_name="bash")]
    result = run(rows, app_dir=str(app_copy))
    out = result.rows
    assert [(row["risk_score"], reasons(row)) for row in out] == [
        ("80", ["tuned web server parent", "finance host"]), ("50", [])]
    assert result.messages == []


def test_without_overrides_the_shipped_defaults_apply(app_copy):
    assert not os.path.exists(os.path.join(str(app_copy), "lookups", "ngrok_risk_modifiers.csv"))
    [row] = run([detection_row(process="ngrok tcp 22")], app_dir=str(app_copy)).rows
    assert row["risk_score"] == "100"
    assert reasons(row) == ["tunnel exposes a remote-admin port",
                            "started by a web server, script interpreter or scheduler"]


def test_bad_modifier_rows_are_reported_and_the_rest_apply(app_copy):
    write_lookup(app_copy, "ngrok_risk_modifiers.csv", MODIFIERS_HEADER +
                 "good,dest,web-*,5,web host,true\n"
                 "typo,dset,x,5,typo field,true\n"
                 "big,dest,x,500,too big,true\n"
                 "good,dest,y,5,duplicate name,true\n"
                 "noreason,dest,x,5,,true\n"
                 "badflag,dest,x,5,bad enabled,perhaps\n")
    result = run([detection_row(process="ngrok http 80", parent_process_name="bash", user="u")],
                 app_dir=str(app_copy))
    assert [(row["risk_score"], reasons(row)) for row in result.rows] == [("55", ["web host"])]
    errors = errors_of(result)
    assert [error.split(":")[1].strip() for error in errors] == [
        "ngrok_risk_modifiers.csv line %d" % line for line in (3, 4, 5, 6, 7)]
    assert "'dset' is not one ngrokscore knows" in errors[0]
    assert "from -100 to 100" in errors[1]
    assert "defined twice" in errors[2]
    assert "reason is empty" in errors[3]
    assert "not true or false" in errors[4]


# -- lookups travel with the app and are read once ---------------------------------------------------------------

def test_lookups_are_found_relative_to_the_script_not_the_working_directory(app_copy, tmp_path):
    write_lookup(app_copy, "ngrok_allowlist.csv", ALLOWLIST_HEADER + "web-prod-03,,,,bundle copy,,\n")
    moved = tmp_path / "searchpeers" / "bundle-123" / "apps"
    moved.mkdir(parents=True)
    os.rename(str(app_copy), str(moved / "SA-ngrok-detection"))
    [row] = run([detection_row()], app_dir=str(moved / "SA-ngrok-detection")).rows
    assert row["allowlist_reason"] == "bundle copy"


def test_lookups_are_read_once_per_process(app_copy):
    """The allowlist is read at getinfo; changing the file mid-search does not change later chunks."""
    from ngrokscore_local import CommandSession
    write_lookup(app_copy, "ngrok_allowlist.csv", ALLOWLIST_HEADER + "web-prod-03,,,,first read,,\n")
    session = CommandSession(str(app_copy))
    try:
        session.getinfo([])
        _, body = session.execute(rows_to_csv([detection_row()]), False)
        write_lookup(app_copy, "ngrok_allowlist.csv", ALLOWLIST_HEADER)
        _, body2 = session.execute(rows_to_csv([detection_row()]), True)
        assert session.close() == 0
    finally:
        session.cleanup()
    assert b"first read" in body and b"first read" in body2


# -- protocol robustness and the pinned seam ----------------------------------------------------------------------

def test_a_bad_request_gets_an_error_and_a_clean_exit_not_a_hang():
    from ngrokscore_local import CommandSession
    session = CommandSession(timeout=30)
    try:
        session.send_raw(b"chunked 1.0,5,0\nnot{}")
        with pytest.raises(ProtocolError):
            # splunklib reports the error in a reply or exits; either way the process ends promptly.
            while True:
                session.receive()
        assert session.process.wait(timeout=30) != 0
    finally:
        session.cleanup()


def test_the_vendored_splunklib_is_the_version_the_chunk_seam_was_written_for(built_app):
    import build
    dist_infos = [name for name in os.listdir(os.path.join(built_app, "bin", "lib")) if name.endswith(".dist-info")]
    assert dist_infos == ["splunk_sdk-%s.dist-info" % build.SPLUNK_SDK.split("==")[1]]
    import sys
    sys.path.insert(0, os.path.join(built_app, "bin", "lib"))
    from splunklib.searchcommands import internals, search_command
    assert hasattr(search_command.SearchCommand, "_execute_chunk_v2")
    assert hasattr(search_command.SearchCommand, "_protocol_v2_option_parser")
    writer = internals.RecordWriterV2(io.BytesIO())
    assert hasattr(writer, "_buffer") and hasattr(writer, "_pending_record_count")
    # _ReplyWriter overrides this method and frames chunks as it does, with its JSON encoder.
    assert hasattr(internals.RecordWriterV2, "_write_chunk") and hasattr(writer, "_iterencode_json")


def test_output_is_valid_splunk_csv_with_mv_columns_next_to_each_other():
    result = run([detection_row()])
    header = result.replies[0][1]
    for field in detection.MULTIVALUE_OUTPUT_FIELDS:
        assert header[header.index(field) + 1] == "__mv_" + field
    assert header[-len(DETECTION_ROW):] == list(DETECTION_ROW)
    assert len(set(header)) == len(header)


def test_rerunning_on_scored_results_overwrites_the_output_fields():
    first = run([detection_row()]).rows
    again = run(first, ["modifiers=false", "impact=10"]).rows
    assert again[0]["risk_score"] == "10" and reasons(again[0]) == []
    assert list(again[0]).count("risk_score") == 1
    assert again[0]["risk_score_breakdown"] == "base 10 = 10 (modifiers off)"
    assert first[0]["risk_score_breakdown"] != again[0]["risk_score_breakdown"]


def test_csv_helpers_round_trip():
    rows = [{"a": ["x$", "y"], "b": "z\nw"}]
    body = rows_to_csv(rows)
    parsed = list(csv.reader(io.StringIO(body.decode())))
    assert parsed[0] == ["a", "__mv_a", "b"]
    assert parsed[1] == ["x$\ny", "$x$$$;$y$", "z\nw"]


def test_nul_characters_survive_on_every_python(python):
    body = b'dest,process\r\nh1,"ngrok tcp 22\x00x"\r\nh2,ngrok tcp 23\r\n'
    result = run(bodies=[body], python=python)
    assert result.exit_code == 0 and errors_of(result) == []
    assert [row["process"] for row in result.rows] == ["ngrok tcp 22\x00x", "ngrok tcp 23"]


def test_raw_events_use_the_image_name_for_modifiers_and_the_allowlist(app_copy):
    write_lookup(app_copy, "ngrok_allowlist.csv", ALLOWLIST_HEADER + ",,apache2,,web server tunnel,,\n")
    event = {"Computer": "srv1", "User": "www-data", "Image": "/usr/local/bin/ngrok",
             "ParentImage": "/usr/sbin/apache2", "CommandLine": "ngrok tcp 22"}
    [out] = run([event], app_dir=str(app_copy)).rows
    assert out["risk_score"] == "100" and "started by a web server, script interpreter or scheduler" in reasons(out)
    assert (out["allowlisted"], out["allowlist_reason"]) == ("true", "web server tunnel")


def test_message_tokens_may_name_every_output_field():
    args = ["message=$mitre_technique_id$|$mitre_tactic$|$detection_id$|$analytic_story$|$kill_chain_phase$"]
    [out] = run([detection_row()], args).rows
    assert out["risk_message"] == ("T1572, T1090, T1102|Command And Control|bc84d574-708c-467d-b78a-4c1e20171f97|"
                                   "Reverse Network Proxy|Command and Control")


def test_a_secret_split_across_multivalue_process_values_is_masked():
    row = detection_row(process=["ngrok tcp 22 --authtoken", "2abcSECRETtoken"])
    [out] = run([row], ["message=cmd $process$"]).rows
    assert out["process"] == ["ngrok tcp 22 --authtoken", "********"]
    assert "2abcSECRETtoken" not in out["risk_message"]


def test_every_value_of_a_multivalue_process_and_every_ngrok_command_is_scored():
    rows = [detection_row(process=["ngrok version", "ngrok tcp 22"], parent_process_name="bash", user="kim"),
            detection_row(process="ngrok http 3000 & ngrok tcp 22", parent_process_name="bash", user="kim"),
            detection_row(process="ngrok tcp 22 --help=false", parent_process_name="bash", user="kim")]
    out = run(rows).rows
    assert ["tunnel exposes a remote-admin port" in reasons(row) for row in out] == [True, True, True]
    assert out[2]["ngrok_subcommand"] == "tcp"


def test_the_same_text_as_a_value_and_as_a_multivalue_column_is_redacted_right():
    encoded = "$ngrok --authtoken S1$;$ngrok tcp 22$"
    body = ("dest,process,__mv_process\r\nA,%s,\r\nB,\"x\ny\",%s\r\n" % (encoded, encoded)).encode()
    out = run(bodies=[body]).rows
    assert out[1]["process"] == ["ngrok --authtoken ********", "ngrok tcp 22"]


def _raw_reply(session):
    """One reply exactly as sent: (frame bytes, metadata dict, body bytes)."""
    import json
    import time
    deadline = time.monotonic() + session.timeout
    header = session._read_line(deadline)
    _, metadata_size, body_size = header.decode("ascii").strip().split(",")
    metadata = session._read(int(metadata_size), deadline)
    body = session._read(int(body_size), deadline)
    return header + metadata + body, json.loads(metadata.decode("utf-8")), body


@pytest.mark.parametrize("args, allowlist_text", [
    ([], None),
    (["on_allowlist=drop"], ALLOWLIST_HEADER + "web-prod-03,,,,dropped,,\n*,,,,refused,,\n"),
])
def test_replies_are_framed_byte_for_byte_as_splunklib_frames_them(app_copy, python, built_app, args,
                                                                    allowlist_text):
    """ngrokscore sends each reply body encoded once (_ReplyWriter) instead of through splunklib's text buffer: the
    frames must be exactly what splunklib's own RecordWriterV2 writes for the same metadata and body."""
    import sys
    from ngrokscore_local import CommandSession
    sys.path.insert(0, os.path.join(built_app, "bin", "lib"))
    from splunklib.searchcommands.internals import RecordWriterV2
    if allowlist_text is not None:
        write_lookup(app_copy, "ngrok_allowlist.csv", allowlist_text)
    bodies = [
        rows_to_csv([detection_row(process_id=str(i), dest="h\u00e9-%d" % i, user="\u7528\u6237") for i in range(3)]
                    + [detection_row(process="ngrok tcp 22 --authtoken=2abc\x00def\"q\"", process_id="9")]),
        rows_to_csv([detection_row()]),  # dropped with on_allowlist=drop: an empty body with metadata
        b"",
    ]
    session = CommandSession(str(app_copy), python=python)
    frames = []
    try:
        info, _ = session.getinfo(args)
        for index, body in enumerate(bodies):
            session.send({"action": "execute", "finished": index == len(bodies) - 1}, body)
            frames.append(_raw_reply(session))
        assert session.close() == 0
    finally:
        session.cleanup()
    for frame, metadata, body in frames:
        expected = io.BytesIO()
        reference = RecordWriterV2(expected)
        for level, text in (metadata.get("inspector") or {}).get("messages", []):
            reference.write_message(level, text.replace("{", "{{").replace("}", "}}"))
        reference._buffer.write(body.decode("utf-8"))
        reference.write_chunk(finished=metadata["finished"])
        assert frame == expected.getvalue()
    # Header and four rows; with on_allowlist=drop the web-prod-03 row is dropped from the first chunk.
    assert frames[0][2].count(b"\r\n") == (4 if args else 5)
    assert "h\u00e9-2,\u7528\u6237".encode("utf-8") in frames[0][2]
    if allowlist_text is not None:
        assert frames[1][2] == b"" and "inspector" not in frames[1][1]
        # Lookup problems go with the getinfo reply, which every search gets.
        assert any("line 3" in text for _, text in info["inspector"]["messages"])
        assert "inspector" not in frames[0][1]
    else:
        assert b"--authtoken=********" in frames[0][2]
