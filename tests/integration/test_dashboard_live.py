"""The dashboard "Ngrok activity" as Splunk serves it, and each of its panel searches run as the dashboard runs
them (a post-process search appended to its base search) over this run's findings, with exactly the results an
independent computation from the base search's rows gives.

To keep other data out, this run's hosts are selected between the base search and the panel's post-process
(`| search dest="*-<run_id>"`); the base and post-process searches themselves run as served. It runs by default:
the Endpoint data model is the suite's minimal one unless SPLUNK_CIM_PACKAGE gives the real CIM app.
"""

import collections
import os
from xml.etree import ElementTree

import pytest

from process_events import detection_events, index_events
from splunk_search import rest_content, run_search

pytestmark = pytest.mark.splunk

VIEW = "ngrok_activity"
BUILT_VIEW = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "build",
                          "SA-ngrok-detection", "default", "data", "ui", "views", VIEW + ".xml")


def panel_searches(xml_text):
    """[(panel title, base SPL or None, post-process or full SPL)] of every panel search."""
    root = ElementTree.fromstring(xml_text)
    bases = {search.get("id"): search.findtext("query").strip() for search in root.iter("search") if search.get("id")}
    found = []
    for panel in root.iter("panel"):
        for search in panel.iter("search"):
            query = search.findtext("query").strip()
            base = search.get("base")
            found.append((panel.findtext("title"), bases[base] if base else None, query))
    return found


with open(BUILT_VIEW, encoding="utf-8") as _handle:
    BUILT_XML = _handle.read()
PANELS = [title for title, _, _ in panel_searches(BUILT_XML)]


def top(findings, key):
    """| where decision=="alerting" | stats count max(risk_score) as max_score by <key> | sort - max_score count
    | head 10, as rows (order checked separately: ties may come in either order)."""
    groups = collections.defaultdict(list)
    for row in findings:
        if row["decision"] == "alerting":
            groups[row[key]].append(int(row["risk_score"]))
    rows = sorted(((name, len(scores), max(scores)) for name, scores in groups.items()), key=lambda r: (-r[2], -r[1]))
    return rows[:10]


def band(score):
    for low, name in ((80, "80-100"), (60, "60-79"), (40, "40-59"), (20, "20-39")):
        if score >= low:
            return name
    return "0-19"


def expected_panel(title, findings):
    """What each panel shows for the base search's rows, computed here; a panel without an entry fails."""
    decisions = collections.Counter(row["decision"] for row in findings)
    if title == "Findings over time":
        return ("sum by decision", dict(decisions))
    if title == "Allowlisted vs alerting":
        return ("rows", ("decision", "count"), sorted((decision, str(count)) for decision, count in decisions.items()))
    for key, name in (("dest", "Top hosts"), ("user", "Top users"), ("parent_process_name", "Top parent processes")):
        if title == name:
            return ("top", key, top(findings, key))
    if title == "Risk score distribution":
        bands = collections.Counter(band(int(row["risk_score"])) for row in findings if row["decision"] == "alerting")
        return ("rows", ("band", "count"), sorted((name, str(count)) for name, count in bands.items()))
    if title.startswith("Latest findings"):
        return ("latest", sorted((row["dest"], row["decision"], row["risk_score"]) for row in findings)[:50])
    pytest.fail("no expected result for the panel %r: add it to expected_panel" % title)


@pytest.fixture(scope="module")
def served_view(service):
    return rest_content(service, "data/ui/views/" + VIEW)["eai:data"]


@pytest.fixture(scope="module")
def data_id(run_id):
    """This module's hosts end with it: no other module's events reach its panels, whatever the order."""
    return run_id + "b"


@pytest.fixture(scope="module")
def findings(admin, service, served_view, endpoint_datamodel, data_id):
    """This module's process events, and the base search's rows for them."""
    run_id = data_id
    index_events(admin, detection_events(run_id).values(), run_id)
    [base] = {base for _, base, _ in panel_searches(served_view) if base}
    outcome = run_search(service, base + ' | search dest="*-%s"' % run_id, earliest_time="-60m", latest_time="now")
    assert not outcome.errors, outcome
    # Every ngrok process of this run, "ngrok version" included: the dashboard shows all, scored.
    assert sorted(row["dest"] for row in outcome.rows) == sorted(event["dest"] for event in
                                                                detection_events(run_id).values()), outcome
    return outcome.rows


def test_the_dashboard_is_served_as_built(served_view):
    assert ElementTree.fromstring(served_view).findtext("label") == "Ngrok activity"
    assert panel_searches(served_view) == panel_searches(BUILT_XML)


@pytest.mark.parametrize("panel", range(len(PANELS)), ids=PANELS)
def test_each_panel_shows_exactly_this_modules_findings(service, served_view, findings, data_id, panel):
    title, base, query = panel_searches(served_view)[panel]
    spl = base + ' | search dest="*-%s" ' % data_id + query if base else query
    outcome = run_search(service, spl, earliest_time="-60m", latest_time="now")
    assert not outcome.errors, "%s: %s" % (title, outcome)
    if not base:
        # A panel of its own search (the other searches' findings, risk events): none of this module's process
        # events is a renamed agent, a missed verb, a DNS lookup or a risk event, so none of its hosts may appear.
        # What those panels show for their own data is checked by test_extra_searches_live and test_risk_alert_live.
        mentioned = [row for row in outcome.rows if any(str(value).endswith("-" + data_id) for value in
                                                        (v for field in row.values()
                                                         for v in (field if isinstance(field, list) else [field])))]
        assert mentioned == [], (title, mentioned)
        return
    expected = expected_panel(title, findings)
    rows = outcome.rows
    if expected[0] == "sum by decision":
        sums = collections.Counter()
        for row in rows:
            for decision in ("alerting", "allowlisted"):
                sums[decision] += int(row.get(decision) or 0)
        assert {key: count for key, count in sums.items() if count} == expected[1], (title, rows)
    elif expected[0] == "rows":
        columns = expected[1]
        assert sorted(tuple(row.get(column) for column in columns) for row in rows) == expected[2], (title, rows)
    elif expected[0] == "top":
        key = expected[1]
        got = [(row[key], int(row["count"]), int(row["max_score"])) for row in rows]
        assert sorted(got) == sorted(expected[2]), (title, rows)
        assert [score for _, _, score in got] == sorted((score for _, _, score in got), reverse=True), (title, rows)
    else:
        got = sorted((row["dest"], row["decision"], row["risk_score"]) for row in rows)
        assert got == expected[1], (title, rows)
