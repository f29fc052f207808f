"""ngrokscore in a distributed deployment (opt-in, SPLUNK_DISTRIBUTED=1): a search head with the app and two
indexers without it. The command is a distributable streaming command, so the indexers run it from the search
head's knowledge bundle, lookups included."""

import json

import pytest

from sa_ngrok_detection import detection
from splunk_search import APP_ID, eventually, rest_entries, run_search, values

pytestmark = pytest.mark.splunk

SOURCETYPE = "it:process"
# In the shipped example allowlist, which reaches the indexers only through the bundle.
EXAMPLE_REASON = "CI preview tunnels for the web team (CHG-1042)"


def installed_apps(target):
    return [name for name, _ in rest_entries(target.connect(), "apps/local")]


def assert_indexed(service, run_id):
    outcome = run_search(service, 'search index=main sourcetype=%s "%s" | stats count' % (SOURCETYPE, run_id),
                         earliest_time="-1h")
    assert outcome.rows and outcome.rows[0]["count"] == "1", outcome


def test_the_app_is_installed_on_the_search_head_only(cluster):
    assert APP_ID in installed_apps(cluster.search_head)
    for indexer in cluster.indexers:
        assert APP_ID not in installed_apps(indexer)


def test_ngrokscore_runs_on_the_indexers_from_the_knowledge_bundle(cluster, run_id):
    web = {"run_id": run_id, "dest": "it-dist-" + run_id, "user": "www-data", "parent_process_name": "apache2",
           "process_name": "ngrok", "process": "/tmp/ngrok tcp 22 --log=stdout"}
    ci = {"run_id": run_id, "dest": "ci-runner-01", "user": "build", "parent_process_name": "bash",
          "process_name": "ngrok", "process": "ngrok http 3000 --log stdout"}
    servers = []  # the indexers' names, as splunk_server gives them: the first gets web, the second ci
    for indexer, event in zip(cluster.indexers, (web, ci)):
        admin = indexer.connect()
        admin.post("receivers/simple", body=json.dumps(event), index="main", sourcetype=SOURCETYPE)
        servers.append(admin.info["serverName"])
        eventually(lambda: assert_indexed(admin, run_id), timeout=90)

    search_head = cluster.search_head.connect(app=APP_ID)
    spl = ('search index=main sourcetype=%s "%s" | ngrokscore allowlist=ngrok_allowlist_example.csv '
           '| table splunk_server dest risk_score allowlisted allowlist_reason mitre_technique_id'
           % (SOURCETYPE, run_id))

    def answered_by_both_indexers():
        # Retried: the first searches may run before the knowledge bundle has reached both peers.
        outcome = run_search(search_head, spl, earliest_time="-1h")
        assert not outcome.errors and {row.get("splunk_server") for row in outcome.rows} == set(servers), outcome
        return outcome

    outcome = eventually(answered_by_both_indexers, timeout=180, interval=10)
    # The part of the search the peers ran: ngrokscore was distributed to them, not run on the search head.
    assert "ngrokscore" in outcome.job.get("remoteSearch", ""), outcome.job.get("remoteSearch")
    assert len(outcome.rows) == 2, outcome
    by_server = {row["splunk_server"]: row for row in outcome.rows}
    web_row, ci_row = by_server[servers[0]], by_server[servers[1]]
    assert (web_row["dest"], web_row["risk_score"], web_row["allowlisted"]) == (web["dest"], "100", "false")
    assert (ci_row["dest"], ci_row["allowlisted"], ci_row["allowlist_reason"]) == ("ci-runner-01", "true",
                                                                                   EXAMPLE_REASON)
    for row in (web_row, ci_row):
        assert values(row, "mitre_technique_id") == [tid for tid, _ in detection.MITRE_TECHNIQUES]
