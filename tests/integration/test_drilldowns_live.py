"""The drilldown searches of the app's correlation searches (action.notable.param.drilldown_searches, as splunkd
serves them) run from another app's context, as Enterprise Security runs them from Incident Review, with their
tokens filled from this run's data: each finds exactly the findings or risk events of the object it names.

The search app stands in for Enterprise Security's: like it, it sees none of this app's private macros.
"""

import configparser
import json
import os
import time

import pytest
from splunklib import binding

from process_events import detection_events, index_events, once
from splunk_search import eventually, rest_content, rows_spl, run_search, values

pytestmark = pytest.mark.splunk

OTHER_APP = "search"
# The searches whose drilldowns, for the web server's finding, have nothing to show (see the test).
NO_FINDING_FOR_THIS_DATA = ("Linux Ngrok Agent Renamed or Relocated", "Ngrok Agent and Endpoint Domains in DNS",
                            "Ngrok Agent and Endpoint Domains in Network Traffic")


def served_drilldowns(service, built_app):
    """[(saved search, drilldown)] of every saved search of the built app that has drilldowns."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(os.path.join(built_app, "default", "savedsearches.conf"), encoding="utf-8")
    found = []
    for name in parser.sections():
        if parser.has_option(name, "action.notable.param.drilldown_searches"):
            served = rest_content(service, "configs/conf-savedsearches/" + name)
            found += [(name, drilldown) for drilldown in json.loads(served["action.notable.param.drilldown_searches"])]
    return found


def fill(text, tokens):
    for name, value in tokens.items():
        text = text.replace("$%s$" % name, value)
    assert "$" not in text.replace("$$", ""), "a token left unfilled: %s" % text
    return text


@pytest.fixture(scope="module")
def data(admin, service, endpoint_datamodel, run_id):
    """This module's process events, and the risk events of the web server's finding (dest and user). Its hosts
    and the web server's user are its own: no other module's events or risk events match its drilldowns."""
    data_id = run_id + "k"
    events = detection_events(data_id)
    events["web"]["user"] = "www-" + data_id
    index_events(admin, events.values(), data_id)
    try:
        admin.indexes.create("risk")
    except binding.HTTPError as error:
        if error.status != 409:  # 409: it exists
            raise
    web = events["web"]
    finding = {"dest": web["dest"], "user": web["user"], "parent_process_name": web["parent_process_name"],
               "process_name": "ngrok", "process": web["process"], "risk_score": "100"}

    def send():
        alert = run_search(service, rows_spl([finding]) + " | sendalert ngrok_risk")
        assert not alert.errors, alert
        return alert.sid

    once(("drilldown risk events", data_id), send)

    def indexed():
        outcome = run_search(admin, 'search index=risk "%s" | stats count' % web["dest"], earliest_time="-30m")
        assert [row["count"] for row in outcome.rows] == ["2"], outcome

    eventually(indexed, timeout=120)
    return events


def test_the_app_has_drilldowns(service, built_app):
    assert served_drilldowns(service, built_app)


def test_every_drilldown_runs_from_another_app_and_finds_exactly_its_objects(splunk, service, admin, built_app, data,
                                                                          run_id):
    web = data["web"]
    now = int(time.time())
    elsewhere = splunk.connect(app=OTHER_APP)
    has_risk_model = run_search(admin, '| rest /services/datamodel/model splunk_server=local count=0 '
                                       '| search title="Risk" | stats count').rows[0]["count"] != "0"
    has_network_models = run_search(admin, '| rest /services/datamodel/model splunk_server=local count=0 '
                                           '| search title="Network_*" | stats count').rows[0]["count"] != "0"
    checked = 0
    for saved_search, drilldown in served_drilldowns(service, built_app):
        objects = ((web["dest"], "system"), (web["user"], "user")) if "$risk_object$" in drilldown["search"] else (
            (None, None),)
        for risk_object, risk_object_type in objects:
            tokens = {"user": web["user"], "dest": web["dest"], "info_min_time": str(now - 3600),
                      "info_max_time": str(now + 60)}
            if risk_object is not None:
                tokens.update(risk_object=risk_object, risk_object_type=risk_object_type)
            spl = fill(drilldown["search"], tokens)
            if "datamodel Risk" in spl and not has_risk_model:
                continue  # the Risk data model is Enterprise Security's: nothing to run it against without ES
            if "datamodel=Network_" in spl and not has_network_models:
                continue  # CIM's Network_Resolution and Network_Traffic models: only with SPLUNK_CIM_PACKAGE
            if not spl.lstrip().startswith("|"):
                spl = "search " + spl
            outcome = run_search(elsewhere, spl, earliest_time=fill(drilldown.get("earliest_offset", "-1h"), tokens),
                                 latest_time=fill(drilldown.get("latest_offset", "now"), tokens))
            context = "%s / %s (%s)" % (saved_search, drilldown["name"], risk_object)
            assert not outcome.errors, (context, outcome)
            rows = outcome.rows
            if saved_search in NO_FINDING_FOR_THIS_DATA:
                # Searches that do not find the web server's tunnel (a process named ngrok, no DNS or network
                # events): their drilldowns must run from elsewhere, and find nothing for it.
                assert rows == [], (context, rows)
            elif risk_object is not None and "Endpoint.Processes" not in spl:
                # Risk events: exactly the one the action wrote for this object.
                assert len(rows) == 1 and values(rows[0], "risk_object") == [risk_object], (context, rows)
            elif risk_object is not None:
                # Processes of a host or a user: the web server's one finding, whichever it names.
                assert [row.get("dest") for row in rows] == [web["dest"]], (context, rows)
            else:
                # The detection filtered to the finding's user and host.
                assert [(row.get("dest"), row.get("user")) for row in rows] == [(web["dest"], web["user"])], (
                    context, rows)
            checked += 1
    assert checked, "no drilldown could run here"
