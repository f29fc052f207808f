"""Issue 12 in the pure core: the renamed-binary fact, the network rows' fields, and the command-line rule that a
file named ngrok* is never the binary."""

import csv
import io

import pytest

from sa_ngrok_detection import detection, enrich, modifiers, options
from sa_ngrok_detection.ngrok_cmdline import parse, parse_all

RENAMED = "ngrok agent running under another name (renamed or disguised binary)"
AGENT_LOOKUP = "host resolved ngrok's agent connect domain: an agent started a session"
TCP_LOOKUP = "host resolved an ngrok TCP endpoint (used for SSH and RDP tunnels)"


def score(rows, **given):
    settings = options.validate(given)
    worker = enrich.Enricher(settings, None, modifiers.load_tuned())
    header = list(rows[0])
    out = io.StringIO()
    worker.write(header, iter([[row[name] for name in header] for row in rows]), out)
    parsed = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    return [dict(zip(parsed[0], row)) for row in parsed[1:]]


def process_row(process, process_name="", process_path="", original_file_name="null"):
    return {"dest": "web-01", "user": "www-data", "parent_process_name": "bash", "process_name": process_name,
            "process_path": process_path, "original_file_name": original_file_name, "process": process}


@pytest.mark.parametrize("process, name, path, original", [
    ("/tmp/.x/kworker tcp 22 --region eu", "kworker", "/tmp/.x/kworker", "null"),
    ("/var/tmp/dbus-helper start --all --config /var/tmp/.cache/ngrok.yml", "dbus-helper", "/var/tmp/dbus-helper",
     "null"),
    ("nohup /dev/shm/x tls 3389 --authtoken abc &", "x", "/dev/shm/x", ""),
    ("/opt/tools/tool --version", "tool", "/opt/tools/tool", "ngrok"),  # ngrok's metadata, whatever it runs
    ("/tmp/kworker tcp 22", "null", "null", "null"),  # no name: the program of the command line
])
def test_a_renamed_agent_gets_the_renamed_reason(process, name, path, original):
    [row] = score([process_row(process, name, path, original)])
    assert RENAMED in row["risk_reasons"].split("\n")


@pytest.mark.parametrize("process, name, path, original", [
    ("ngrok tcp 22", "ngrok", "/usr/local/bin/ngrok", "ngrok"),
    ("/usr/local/bin/ngrok tls 443", "null", "/usr/local/bin/ngrok", "null"),  # the name read from the path
    ("curl -fsSL https://a1b2c3.ngrok-free.app/setup.sh", "curl", "/usr/bin/curl", "null"),  # not the agent
    ("systemctl status nginx", "systemctl", "/usr/bin/systemctl", "null"),
    ("", "null", "null", "null"),
])
def test_ngrok_itself_or_another_program_gets_no_renamed_reason(process, name, path, original):
    [row] = score([process_row(process, name, path, original)])
    assert RENAMED not in row["risk_reasons"].split("\n")


def test_runs_renamed_reads_every_value_of_a_multivalue_name():
    invocations = parse_all("kworker tcp 22")
    assert enrich.runs_renamed(invocations, ("kworker tcp 22", "", ("ngrok", "kworker"), ""))
    assert not enrich.runs_renamed(invocations, ("kworker tcp 22", "", ("ngrok",), ""))


def test_a_config_file_named_ngrok_is_never_the_binary():
    invocation = parse("/var/tmp/dbus-helper start --all --config /var/tmp/.cache/ngrok.yml")
    assert (invocation.subcommand, invocation.action) == ("start", "start")
    assert "/var/tmp/.cache/ngrok.yml" in invocation.paths and "/var/tmp/dbus-helper" in invocation.paths
    # A binary named ngrok* is still found behind an unknown launcher.
    assert parse("proxychains4 ./ngrok-v3 tcp 22").subcommand == "tcp"
    assert parse("x --log /tmp/ngrok.log tcp 22").subcommand == "tcp"


def test_network_rows_are_scored_on_the_domain_role():
    rows = [
        {"dest": "web-01", "query": "connect.us.ngrok-agent.com", "ngrok_domain_role": "agent",
         "ngrok_domain_era": "current"},
        {"dest": "kiosk-09", "query": "4.tcp.eu.ngrok.io", "ngrok_domain_role": "tcp-endpoint",
         "ngrok_domain_era": "current"},
        {"dest": "dev-12", "query": "a1b2c3.ngrok-free.app", "ngrok_domain_role": "endpoint",
         "ngrok_domain_era": "current"},
    ]
    agent, tcp, endpoint = score(rows, impact=str(detection.NETWORK_IMPACT),
                                 confidence=str(detection.NETWORK_CONFIDENCE), message=detection.NETWORK_MESSAGE)
    base = detection.base_score(detection.NETWORK_IMPACT, detection.NETWORK_CONFIDENCE)
    assert base == 40
    assert (agent["risk_score"], agent["risk_reasons"]) == (str(base + 20), AGENT_LOOKUP)
    assert (tcp["risk_score"], tcp["risk_reasons"]) == (str(base + 10), TCP_LOOKUP)
    assert (endpoint["risk_score"], endpoint["risk_reasons"]) == (str(base), "")
    assert agent["risk_message"] == "Host web-01 looked up ngrok agent domain connect.us.ngrok-agent.com"
    assert agent["ngrok_subcommand"] == "" and agent["allowlisted"] == "false"


def test_the_modifier_table_loads_the_new_rows_without_errors():
    table = modifiers.load_tuned()
    assert table.errors == []
    by_name = {modifier.name: modifier for modifier in table.modifiers}
    assert (by_name["renamed_binary"].field, by_name["renamed_binary"].score) == ("ngrok_renamed", 20)
    assert by_name["agent_domain_lookup"].field == "ngrok_domain_role"
    assert "ngrok_renamed" in modifiers.FACTS
    assert {"query", "ngrok_domain_role", "ngrok_domain_era"} <= set(modifiers.ROW_FIELDS)


def test_process_and_network_findings_of_one_host_add_up_on_one_risk_object():
    """A host whose process and network both show ngrok: the risk events of the renamed-agent search and of the DNS
    search land on the same risk object (dest, type system), which the threshold rule sums per risk object."""
    from sa_ngrok_detection.risk_events import RiskEventBuilder

    [process] = score([process_row("ngrok tunnel --label edge=x 8080", "ngrok", "/usr/local/bin/ngrok", "ngrok")])
    [network] = score([{"dest": "web-01", "query": "connect.ngrok-agent.com", "ngrok_domain_role": "agent",
                        "ngrok_domain_era": "current"}],
                      impact=str(detection.NETWORK_IMPACT), confidence=str(detection.NETWORK_CONFIDENCE),
                      message=detection.NETWORK_MESSAGE)
    totals = {}
    for search, row in ((detection.ALL_VERBS, process), (detection.DNS, network)):
        for event in RiskEventBuilder(search.name, "sid", search.base_score).events(row, 0):
            fields = dict((key, value) for key, value in event if not isinstance(value, list))
            key = (fields["risk_object"], fields["risk_object_type"])
            totals[key] = totals.get(key, 0) + int(fields["risk_score"])
    assert totals[("web-01", "system")] == 50 + 60
    assert totals[("web-01", "system")] >= 100 > max(int(process["risk_score"]), int(network["risk_score"]))
