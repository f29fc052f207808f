"""Process events as Sysmon for Linux EventID 1 gives them once mapped to CIM, for the live tests: every field of
Endpoint.Processes that the detection reads (upstream version 10's twenty), under the test-only sourcetype
it:process, which the fixtures app tags process and report (the Endpoint.Processes constraint).

They are indexed with receivers/simple into index main (the default index of the admin role, which the Endpoint
data model searches when cim_Endpoint_indexes is empty), stamped with the time they arrive.
"""

import json

from splunk_search import eventually, run_search

SOURCETYPE = "it:process"
SOURCE = "sa-ngrok-detection-integration"
INDEX = "main"
TOKEN = "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2"
# Upstream version 10's Endpoint.Processes fields (the fixture data model defines each of them).
V10_FIELDS = ("action dest original_file_name parent_process parent_process_exec parent_process_guid "
              "parent_process_id parent_process_name parent_process_path process process_exec process_guid "
              "process_hash process_id process_integrity_level process_name process_path user user_id "
              "vendor_product").split()


def process_event(run_id, key, dest, user, parent_path, parent_cmdline, process, path, pid):
    """One process-start event with all twenty fields; user None leaves the field out, as a collector that could
    not resolve the account does."""
    parent_name = parent_path.rsplit("/", 1)[-1]
    event = {
        "run_id": run_id, "it_key": key, "EventID": 1, "action": "allowed", "dest": dest,
        "original_file_name": "ngrok", "parent_process": parent_cmdline, "parent_process_exec": parent_name,
        "parent_process_guid": "{%08d-0000-0000-0000-%012d}" % (pid - 1, pid - 1), "parent_process_id": pid - 1,
        "parent_process_name": parent_name, "parent_process_path": parent_path, "process": process,
        "process_exec": path.rsplit("/", 1)[-1], "process_guid": "{%08d-0000-0000-0000-%012d}" % (pid, pid),
        "process_hash": "SHA256=" + "ab" * 32, "process_id": pid, "process_integrity_level": "medium",
        "process_name": "ngrok", "process_path": path, "user": user, "user_id": "1001",
        "vendor_product": "Microsoft Sysmon for Linux",
    }
    if user is None:
        del event["user"], event["user_id"]
    return event


def detection_events(run_id):
    """{key: event}: an SSH tunnel from a web server's /tmp binary, a developer's web tunnel with its authtoken, a CI
    tunnel (dest it-allow-<run_id>: the allowlist tests' host), an informational `ngrok version` (matches none of
    the detection's patterns) and a tunnel whose event has no user (CIM fills it as "unknown")."""
    return {
        "web": process_event(run_id, "web", "it-web-" + run_id, "www-data", "/usr/sbin/apache2",
                             "/usr/sbin/apache2 -k start", "/tmp/ngrok tcp 22 --log=stdout", "/tmp/ngrok", 28411),
        "dev": process_event(run_id, "dev", "it-dev-" + run_id, "dev", "/usr/bin/bash", "-bash",
                             "ngrok http 8080 --authtoken " + TOKEN, "/usr/local/bin/ngrok", 4242),
        "ci": process_event(run_id, "ci", "it-allow-" + run_id, "it-user", "/usr/bin/bash", "bash ci.sh",
                            "ngrok http 3000 --log stdout", "/usr/local/bin/ngrok", 777),
        "info": process_event(run_id, "info", "it-info-" + run_id, "dev", "/usr/bin/bash", "-bash", "ngrok version",
                              "/usr/local/bin/ngrok", 9001),
        "nouser": process_event(run_id, "nouser", "it-nouser-" + run_id, None, "/usr/bin/bash", "bash",
                                "ngrok http 9090", "/usr/local/bin/ngrok", 5150),
    }


# What this session has sent: a module fixture set up again (SPLUNK_TEST_ORDER interleaves modules) must not send
# its events twice.
_SENT = {}


def once(key, action):
    """action() the first time key is seen in this session; its result every time."""
    if key not in _SENT:
        _SENT[key] = action()
    return _SENT[key]


def index_events(admin, events, run_id, index=INDEX, timeout=120):
    """Sends the events in one batch (once per session and Splunk) and waits until each one is searchable once."""
    events = list(events)
    key = ("index", admin.host, admin.port, index, run_id, tuple(event["it_key"] for event in events))
    once(key, lambda: _send(admin, events, index))

    def searchable():
        outcome = run_search(admin, 'search index=%s sourcetype=%s run_id="%s" | stats count by it_key'
                             % (index, SOURCETYPE, run_id), earliest_time="-1h")
        assert not outcome.errors, outcome
        counts = {row["it_key"]: row["count"] for row in outcome.rows}
        assert counts == {event["it_key"]: "1" for event in events}, outcome

    eventually(searchable, timeout=timeout)


def _send(admin, events, index):
    admin.post("receivers/simple", body="\n".join(json.dumps(event) for event in events),
               index=index, sourcetype=SOURCETYPE, source=SOURCE)
    return True
