"""ngrokscore in a distributed deployment (opt-in, SPLUNK_DISTRIBUTED=1): a search head with the app and two
indexers without it. The command is a distributable streaming command, so the indexers run it from the search
head's knowledge bundle, lookups included."""

import pytest

from process_events import SOURCETYPE, index_events, process_event
from sa_ngrok_detection import detection
from splunk_search import APP_ID, eventually, rest_entries, run_search, values

pytestmark = pytest.mark.splunk

# In the shipped example allowlist, which reaches the indexers only through the bundle.
EXAMPLE_REASON = "CI preview tunnels for the web team (CHG-1042)"


def installed_apps(target):
    return [name for name, _ in rest_entries(target.connect(), "apps/local")]


def test_the_app_is_installed_on_the_search_head_only(cluster):
    assert APP_ID in installed_apps(cluster.search_head)
    for indexer in cluster.indexers:
        assert APP_ID not in installed_apps(indexer)


def test_ngrokscore_runs_on_the_indexers_from_the_knowledge_bundle(cluster, run_id):
    web = process_event(run_id, "web", "it-dist-" + run_id, "www-data", "/usr/sbin/apache2", "/usr/sbin/apache2",
                        "/tmp/ngrok tcp 22 --log=stdout", "/tmp/ngrok", 28411)
    ci = process_event(run_id, "ci", "ci-runner-01", "build", "/usr/bin/bash", "bash ci.sh",
                       "ngrok http 3000 --log stdout", "/usr/local/bin/ngrok", 777)
    servers = []  # the indexers' names, as splunk_server gives them: the first gets web, the second ci
    for indexer, event in zip(cluster.indexers, (web, ci)):
        admin = indexer.connect()
        index_events(admin, [event], run_id)
        servers.append(admin.info["serverName"])

    search_head = cluster.search_head.connect(app=APP_ID)
    spl = ('search index=main sourcetype=%s run_id="%s" | ngrokscore allowlist=ngrok_allowlist_example.csv '
           '| table splunk_server dest risk_score allowlisted allowlist_reason mitre_technique_id'
           % (SOURCETYPE, run_id))

    def answered_by_both_indexers():
        # Retried: the first searches may run before the knowledge bundle has reached both peers.
        outcome = run_search(search_head, spl, earliest_time="-1h")
        assert not outcome.errors and {row.get("splunk_server") for row in outcome.rows} == set(servers), outcome
        return outcome

    outcome = eventually(answered_by_both_indexers, timeout=300, interval=10)
    # The part of the search the peers ran: ngrokscore was distributed to them, not run on the search head, and
    # the indexers, which lack the app, ran it from the bundle (splunklib and lookups included) without an error.
    assert "ngrokscore" in outcome.job.get("remoteSearch", ""), outcome.job.get("remoteSearch")
    assert len(outcome.rows) == 2, outcome
    by_server = {row["splunk_server"]: row for row in outcome.rows}
    web_row, ci_row = by_server[servers[0]], by_server[servers[1]]
    assert (web_row["dest"], web_row["risk_score"], web_row["allowlisted"]) == (web["dest"], "100", "false")
    assert (ci_row["dest"], ci_row["allowlisted"], ci_row["allowlist_reason"]) == ("ci-runner-01", "true",
                                                                                   EXAMPLE_REASON)
    for row in (web_row, ci_row):
        assert values(row, "mitre_technique_id") == [tid for tid, _ in detection.MITRE_TECHNIQUES]
