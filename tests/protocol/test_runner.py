"""scripts/ngrokscore_local.py as people use it: `make demo` and the runner's default table, through the built app."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNNER = os.path.join(ROOT, "scripts", "ngrokscore_local.py")
SAMPLE = os.path.join(ROOT, "samples", "ngrok_detections.csv")
SECRET = "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2oKqWzV6xE4nMiT"  # in the sample's jump-02 rows


def runner(*args, input_file=SAMPLE):
    done = subprocess.run([sys.executable, RUNNER, input_file] + list(args), capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def blocks(table):
    """The table's result blocks (summary line and detail lines), keyed by nothing: in output order."""
    body = table.split("\n", 2)[2].rsplit("\n\n", 1)[0]
    return [block.splitlines() for block in body.split("\n\n")]


def test_the_default_table_shows_each_result_in_full():
    table, messages = runner("allowlist=ngrok_allowlist_example.csv")
    assert messages == ""
    lines = table.splitlines()
    assert lines[0].split() == ["dest", "user", "parent", "verb", "target", "score", "allowlisted"]
    found = blocks(table)
    assert len(found) == 24 and table.rstrip().endswith("24 result(s) in, 24 out; exit code 0")
    first = found[0]
    assert first[0].split() == ["web-prod-03", "www-data", "apache2", "tcp", "22", "100", "false"]
    assert first[1:] == [
        "    process:   /tmp/ngrok tcp 22 --log=stdout",
        "    score:     base 50 +30 remote_admin_port +15 temporary_path +20 suspicious_parent = 115, capped at 100",
        "    reasons:   tunnel exposes a remote-admin port",
        "               ngrok binary or config in a temporary or world-writable path",
        "               started by a web server, script interpreter or scheduler",
        "    mitre:     T1572 Protocol Tunneling, T1090 Proxy, T1102 Web Service (Command And Control, TA0011)",
        "    message:   A reverse proxy was identified spawning from apache2 - ngrok on endpoint web-prod-03 by user "
        "www-data",
    ]
    assert "…" not in table  # nothing is cut short


def test_the_table_shows_redaction_and_the_allowlist_reason():
    table, _ = runner("allowlist=ngrok_allowlist_example.csv")
    assert SECRET not in table
    assert "    process:   ngrok config add-authtoken ********\n" in table
    assert "    process:   ngrok tcp 22 --authtoken=********\n" in table
    allowlisted = [block for block in blocks(table) if block[0].split()[-1] == "true"]
    assert allowlisted and all(any(line.startswith("    allowlist: ") for line in block) for block in allowlisted)
    assert "    allowlist: CI preview tunnels for the web team (CHG-1042)\n" in table
    # Results no entry covers have no allowlist line.
    assert not any(line.startswith("    allowlist: ") for block in blocks(table) if block[0].split()[-1] == "false"
                   for line in block)


def test_the_table_reads_raw_sysmon_events_and_multivalue_fields(tmp_path):
    events = [{"Computer": "srv1", "User": "www-data", "ParentImage": "/usr/sbin/apache2",
               "CommandLine": "ngrok tcp 22\nline two", "Image": "/tmp/ngrok"},
              {"dest": ["a", "b"], "user": "root", "process": ["ngrok tcp 22 --authtoken", "SECRETVALUE1"]}]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events), encoding="utf-8")
    table, _ = runner(input_file=str(path))
    first, second = blocks(table)
    assert first[0].split()[:3] == ["srv1", "www-data", "/usr/sbin/apache2"]
    assert first[1] == "    process:   ngrok tcp 22\\nline two"
    assert second[0].split()[:3] == ["a;", "b", "root"]
    assert second[1:3] == ["    process:   ngrok tcp 22 --authtoken", "               ********"]
    assert "SECRETVALUE1" not in table


def test_json_and_csv_carry_the_breakdown():
    out, _ = runner("--format", "json")
    rows = json.loads(out)
    assert rows[0]["risk_score_breakdown"].endswith("= 115, capped at 100")
    out, _ = runner("--format", "csv")
    assert "risk_score_breakdown" in out.splitlines()[0].split(",")


def test_format_has_help_text():
    done = subprocess.run([sys.executable, RUNNER, "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "table (default):" in text and "csv:" in text and "json:" in text
    assert "score breakdown" in text and "--chunk-size" in text
