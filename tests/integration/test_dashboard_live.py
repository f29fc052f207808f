"""The dashboard "Ngrok activity" as Splunk serves it, and each of its searches run as the dashboard runs them: a
post-process search appended to its base search."""

import os
from xml.etree import ElementTree

import pytest

from splunk_search import rest_content, run_search

pytestmark = pytest.mark.splunk

VIEW = "ngrok_activity"
BUILT_VIEW = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "build",
                          "SA-ngrok-detection", "default", "data", "ui", "views", VIEW + ".xml")


def panel_searches(xml_text):
    """[(panel title, SPL)] of every panel search, post-process searches appended to their base search."""
    root = ElementTree.fromstring(xml_text)
    bases = {search.get("id"): search.findtext("query").strip() for search in root.iter("search") if search.get("id")}
    found = []
    for panel in root.iter("panel"):
        for search in panel.iter("search"):
            query = search.findtext("query").strip()
            base = search.get("base")
            found.append((panel.findtext("title"), bases[base] + " " + query if base else query))
    return found


with open(BUILT_VIEW, encoding="utf-8") as _handle:
    BUILT_XML = _handle.read()
PANELS = [title for title, _ in panel_searches(BUILT_XML)]


@pytest.fixture(scope="module")
def served_view(service):
    return rest_content(service, "data/ui/views/" + VIEW)["eai:data"]


def test_the_dashboard_is_served_as_built(served_view):
    assert ElementTree.fromstring(served_view).findtext("label") == "Ngrok activity"
    assert panel_searches(served_view) == panel_searches(BUILT_XML)


@pytest.mark.parametrize("panel", range(len(PANELS)), ids=PANELS)
def test_each_panel_search_runs_without_errors(service, served_view, endpoint_datamodel, panel):
    title, spl = panel_searches(served_view)[panel]
    outcome = run_search(service, spl, earliest_time="-60m", latest_time="now")
    assert not outcome.errors, "%s: %s" % (title, outcome)
