"""The bundled samples (samples/ngrok_detections.csv) as process events mapped to Endpoint.Processes, through the
shipped detection unchanged: Splunk selects exactly the rows whose process matches the detection's patterns, and
for each one the command in Splunk answers exactly what the built command answers offline for the row Splunk handed
it (scripts/ngrokscore_local.py): every output field, byte for byte. So `make demo` shows what the detection shows.
"""

import csv
import fnmatch
import os
import re

import pytest

from ngrokscore_local import run as run_offline
from process_events import index_events, process_event
from sa_ngrok_detection import detection
from splunk_search import rest_content, run_search, values

pytestmark = pytest.mark.splunk

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, "samples", "ngrok_detections.csv")
# Fields ngrokscore adds or rewrites, compared between Splunk and the offline run.
_PATTERNS = re.compile(r'Processes\.process\s+IN\s*\(([^)]*)\)')


def sample_events(data_id):
    with open(SAMPLES, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    events = []
    for number, row in enumerate(rows):
        first = row["process"].split(" ", 1)[0]
        path = first if first.startswith("/") else "/usr/local/bin/" + row["process_name"]
        event = process_event(data_id, "s%d" % number, "%s-%d-%s" % (row["dest"], number, data_id), row["user"],
                              "/usr/bin/" + row["parent_process_name"], row["parent_process_name"], row["process"],
                              path, int(row["process_id"]))
        event.update(process_name=row["process_name"], original_file_name=row["original_file_name"] or "unknown",
                     parent_process_id=int(row["parent_process_id"]))
        events.append(event)
    return events


def selected(events, spl):
    """The events the detection's where clause selects: process_name ngrok and a process matching one of its
    patterns (Splunk compares field values without case)."""
    match = _PATTERNS.search(spl)
    assert match, spl
    patterns = [pattern.strip().strip('"').lower() for pattern in match.group(1).split(",")]
    return sorted(event["dest"] for event in events if event["process_name"].lower() == "ngrok"
                  and any(fnmatch.fnmatchcase(event["process"].lower(), pattern) for pattern in patterns))


def test_the_samples_go_through_the_detection_as_through_the_offline_command(admin, service, endpoint_datamodel,
                                                                            built_app, run_id):
    data_id = run_id + "s"
    events = sample_events(data_id)
    index_events(admin, events, data_id)
    spl = rest_content(service, "saved/searches/" + detection.DETECTION_NAME)["search"]
    head, command, tail = spl.partition("| ngrokscore ")
    assert command, spl
    options = tail.split("|", 1)[0].split()

    handed = run_search(service, head, earliest_time="-1h", latest_time="now")
    assert not handed.errors, handed
    handed_rows = [row for row in handed.rows if row.get("dest", "").endswith(data_id)]
    assert sorted(row["dest"] for row in handed_rows) == selected(events, spl)

    live = run_search(service, spl, earliest_time="-1h", latest_time="now")
    assert not live.errors, live
    live_rows = {row["dest"]: row for row in live.rows if row.get("dest", "").endswith(data_id)}
    offline = run_offline(rows=handed_rows, args=options, app_dir=built_app)
    assert not [message for message in offline.messages if message[0] == "ERROR"], offline.messages
    offline_rows = {row["dest"]: row for row in offline.rows}
    assert sorted(live_rows) == sorted(offline_rows)
    for dest, expected in offline_rows.items():
        got = live_rows[dest]
        for field in expected:
            if field.startswith("_"):
                continue
            assert values(got, field) == values(expected, field), (dest, field, got, expected)
