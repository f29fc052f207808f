"""The built app's configuration, read with a maintained Splunk .conf parser, is wired together: every macro,
lookup, command and alert action a search uses exists with the right shape, default.meta covers every object, and
the detection's metadata agrees with its one source of truth (sa_ngrok_detection.detection)."""

import csv
import json
import os
import re
import xml.etree.ElementTree as ElementTree

import pytest
from addonfactory_splunk_conf_parser_lib import TABConfigParser

from sa_ngrok_detection import alert, detection, lookup_files

DETECTION = detection.DETECTION_NAME
NOTABLE = "Ngrok Risk Threshold Exceeded - Rule"
# Alert actions that Splunk Enterprise Security provides (used by the saved searches only when ES is installed).
ES_ACTIONS = {"risk", "notable", "correlationsearch"}
_MACRO = re.compile(r"`([\w-]+)(?:\(([^`]*)\))?`")


@pytest.fixture(scope="module")
def conf(built_app_dir):
    def read(name):
        parser = TABConfigParser()
        path = os.path.join(built_app_dir, "default", name + ".conf")
        assert os.path.exists(path), path
        parser.read(path)
        return {section: dict(parser.items(section)) for section in parser.sections()}

    return read


@pytest.fixture(scope="module")
def built_app_dir():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(root, "build", "SA-ngrok-detection")


def searches(conf, built_app_dir):
    """Every SPL the app runs: saved searches, their drilldowns, the dashboard's searches."""
    found = []
    for name, stanza in conf("savedsearches").items():
        found.append((name, stanza["search"]))
        for key in ("action.notable.param.drilldown_searches",):
            for drilldown in json.loads(stanza.get(key, "[]")):
                found.append((name + " drilldown", drilldown["search"]))
    views = os.path.join(built_app_dir, "default", "data", "ui", "views")
    for view in os.listdir(views):
        root = ElementTree.parse(os.path.join(views, view)).getroot()
        found.extend((view, query.text) for query in root.iter("query"))
    return found


def test_every_conf_file_parses(built_app_dir):
    names = [name for name in os.listdir(os.path.join(built_app_dir, "default")) if name.endswith(".conf")]
    assert set(names) >= {"app.conf", "commands.conf", "searchbnf.conf", "savedsearches.conf", "macros.conf",
                          "transforms.conf", "alert_actions.conf"}
    for name in names:
        parser = TABConfigParser()
        parser.read(os.path.join(built_app_dir, "default", name))
        assert parser.sections(), name


def test_every_macro_a_search_uses_is_defined_with_its_arguments(conf, built_app_dir):
    macros = conf("macros")
    used = 0
    for where, spl in searches(conf, built_app_dir):
        for name, args in _MACRO.findall(spl):
            count = len([arg for arg in args.split(",")]) if args else 0
            stanza_name = "%s(%d)" % (name, count) if count else name
            assert stanza_name in macros, "%s uses `%s` but macros.conf has no [%s]" % (where, name, stanza_name)
            stanza = macros[stanza_name]
            if count:
                declared = [arg.strip() for arg in stanza["args"].split(",")]
                assert len(declared) == count
                for arg in declared:
                    assert "$%s$" % arg in stanza["definition"], (stanza_name, arg)
            used += 1
    assert used >= 10


def test_macros_have_the_upstream_definitions(conf):
    macros = conf("macros")
    assert macros["security_content_summariesonly"]["definition"] == \
        "summariesonly=false allow_old_summaries=true fillnull_value=null"
    assert macros["security_content_ctime(1)"]["definition"] == \
        'convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)'
    assert macros["drop_dm_object_name(1)"]["definition"] == "rename $object$.* AS *"
    assert macros["linux_ngrok_reverse_proxy_usage_filter"]["definition"] == "search *"


def test_every_command_a_search_uses_exists_with_its_script(conf, built_app_dir):
    commands = conf("commands")
    for where, spl in searches(conf, built_app_dir):
        if "ngrokscore" in spl:
            assert "ngrokscore" in commands
    stanza = commands["ngrokscore"]
    assert stanza["chunked"] == "true" and stanza["python.version"] == "python3"
    assert [v.strip() for v in stanza["python.required"].split(",")] == ["3.9", "3.13"]
    assert os.path.exists(os.path.join(built_app_dir, "bin", stanza["filename"]))


def test_every_lookup_exists_with_its_file_and_columns(conf, built_app_dir):
    transforms = conf("transforms")
    for name, stanza in transforms.items():
        path = os.path.join(built_app_dir, "lookups", stanza["filename"])
        if stanza["filename"] in lookup_files.ADMIN_FILES:  # never shipped: see tests/package/test_upgrades.py
            assert not os.path.exists(path), path
            continue
        assert os.path.exists(path), path
        with open(path, encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        for field in re.findall(r"WILDCARD\((\w+)\)", stanza.get("match_type", "")):
            assert field in header, (name, field)
    nav = open(os.path.join(built_app_dir, "default", "data", "ui", "nav", "default.xml"), encoding="utf-8").read()
    for lookup in re.findall(r"inputlookup%20(\w+)", nav):
        assert lookup in transforms


def test_every_alert_action_a_search_uses_exists_with_script_form_and_spec(conf, built_app_dir):
    actions = conf("alert_actions")
    for name, stanza in conf("savedsearches").items():
        for key, value in stanza.items():
            match = re.match(r"^action\.(\w+)$", key)
            if match and value == "1" and match.group(1) not in ES_ACTIONS:
                assert match.group(1) in actions, (name, key)
    action = actions["ngrok_risk"]
    assert action["is_custom"] == "1" and action["payload_format"] == "json"
    assert action["python.version"] == "python3" and "3.13" in action["python.required"]
    params = {key[len("param."):]: value for key, value in action.items() if key.startswith("param.")}
    assert params == alert.DEFAULTS
    assert os.path.exists(os.path.join(built_app_dir, "bin", "ngrok_risk.py"))
    assert os.path.exists(os.path.join(built_app_dir, "appserver", "static", action["icon_path"]))
    form = open(os.path.join(built_app_dir, "default", "data", "ui", "alerts", "ngrok_risk.html"), encoding="utf-8").read()
    for name in re.findall(r'name="action\.ngrok_risk\.param\.(\w+)"', form):
        assert name in params
    spec = open(os.path.join(built_app_dir, "README", "alert_actions.conf.spec"), encoding="utf-8").read()
    for name in params:
        assert "param.%s = " % name in spec, name


def test_default_meta_covers_every_object(built_app_dir, conf):
    parser = TABConfigParser()
    with open(os.path.join(built_app_dir, "metadata", "default.meta"), encoding="utf-8") as handle:
        # The parser drops the app-wide stanza "[]" (an empty section name): read it under a name of its own.
        parser.read_string(re.sub(r"^\[\]$", "[__app__]", handle.read(), flags=re.MULTILINE))
    meta = {section: dict(parser.items(section)) for section in parser.sections()}
    default = meta["__app__"]
    assert default["access"].replace(" ", "") == "read:[*],write:[admin,sc_admin]"
    assert default["export"] == "none"
    # The app-wide stanza covers every object; each object stanza must name an object the app has.
    conf_of = {"commands": "commands", "alert_actions": "alert_actions", "transforms": "transforms",
               "macros": "macros", "savedsearches": "savedsearches"}
    for section in meta:
        kind, _, name = section.partition("/")
        if name:
            assert name in conf(conf_of[kind]), section
    for obj in ("commands/ngrokscore", "alert_actions/ngrok_risk", "transforms/ngrok_allowlist", "lookups"):
        assert meta[obj]["export"] == "system", obj
    assert meta["macros"]["export"] == "none"
    for section in meta.values():
        if "access" in section:
            assert "write : [ admin, sc_admin ]" in section["access"]


def test_the_detection_saved_search(conf):
    stanza = conf("savedsearches")[DETECTION]
    spl = stanza["search"]
    assert spl.startswith("| tstats `security_content_summariesonly` count min(_time) as firstTime")
    patterns = re.search(r"Processes\.process IN \(([^)]*)\)", spl).group(1)
    assert [p.strip() for p in patterns.split(",")] == ['"*start*"', '"*--config*"', '"*http*"', '"*authtoken*"',
                                                       '"*tcp*"']
    assert "| ngrokscore on_allowlist=drop | `linux_ngrok_reverse_proxy_usage_filter`" in spl
    assert (stanza["cron_schedule"], stanza["dispatch.earliest_time"], stanza["dispatch.latest_time"]) == \
        ("0 * * * *", "-70m@m", "-10m@m")
    assert stanza["disabled"] == "1" and stanza["enableSched"] == "1"
    assert stanza["action.ngrok_risk"] == "1"
    # ES's own risk action is prepared but off: the two must never write the same risk events.
    assert stanza["action.risk"] == "0"
    assert "How to implement" in stanza["description"] and "Known false positives" in stanza["description"]
    drilldowns = json.loads(stanza["action.notable.param.drilldown_searches"])
    assert len(drilldowns) == 2 and "%original_detection_search%" in drilldowns[0]["search"]
    assert "Risk.All_Risk" in drilldowns[1]["search"]


def test_the_detection_metadata_has_one_source_of_truth(conf, built_app_dir):
    stanza = conf("savedsearches")[DETECTION]
    assert stanza["action.correlationsearch.label"] == detection.DETECTION_NAME
    assert stanza["action.risk.param._risk_message"] == detection.DEFAULT_MESSAGE
    annotations = json.loads(stanza["action.correlationsearch.annotations"])
    assert annotations == {
        "analytic_story": [detection.ANALYTIC_STORY],
        "cis20": list(detection.CIS_CONTROLS),
        "kill_chain_phases": [detection.KILL_CHAIN_PHASE],
        "mitre_attack": [technique_id for technique_id, _ in detection.MITRE_TECHNIQUES],
        "nist": list(detection.NIST_CATEGORIES),
        "detection_id": detection.DETECTION_ID,
    }
    base = detection.base_score(detection.DEFAULT_IMPACT, detection.DEFAULT_CONFIDENCE)
    risk = json.loads(stanza["action.risk.param._risk"])
    assert [(r.get("risk_object_field"), r.get("risk_object_type"), r.get("risk_score")) for r in risk[:2]] == \
        [("dest", "system", base), ("user", "user", base)]
    assert [r.get("threat_object_field") for r in risk[2:]] == ["parent_process_name", "process_name"]
    assert detection.DETECTION_ID in conf("macros")["ngrok_risk_events"]["definition"]
    notable = conf("savedsearches")[NOTABLE]
    assert json.loads(notable["action.correlationsearch.annotations"])["mitre_attack"] == annotations["mitre_attack"]
    readme = open(os.path.join(os.path.dirname(os.path.dirname(built_app_dir)), "README.md"), encoding="utf-8").read()
    assert detection.DETECTION_NAME in readme and NOTABLE in readme


def test_the_risk_notable(conf):
    stanza = conf("savedsearches")[NOTABLE]
    assert stanza["disabled"] == "1" and stanza["action.notable"] == "1"
    assert "`ngrok_risk_events`" in stanza["search"] and "`ngrok_risk_notable_threshold`" in stanza["search"]
    assert conf("macros")["ngrok_risk_notable_threshold"]["definition"] == "100"
    assert stanza["dispatch.earliest_time"] == "-24h@h"
    for key in ("rule_title", "rule_description", "security_domain", "severity", "drilldown_searches"):
        assert stanza["action.notable.param." + key], key
    assert len(json.loads(stanza["action.notable.param.drilldown_searches"])) == 2


def test_dashboard_and_navigation(conf, built_app_dir):
    ui = os.path.join(built_app_dir, "default", "data", "ui")
    nav = ElementTree.parse(os.path.join(ui, "nav", "default.xml")).getroot()
    default_views = [view.get("name") for view in nav.iter("view") if view.get("default") == "true"]
    assert default_views == ["ngrok_activity"]
    view = ElementTree.parse(os.path.join(ui, "views", "ngrok_activity.xml")).getroot()
    assert view.findtext("label") == "Ngrok activity" and view.get("version") == "1.1"
    titles = [title.text for title in view.iter("title")]
    for expected in ("Findings over time", "Top hosts", "Top users", "Top parent processes", "Risk score distribution",
                     "Allowlisted vs alerting", "Latest findings (click a row for its risk events)"):
        assert expected in titles
    saved = conf("savedsearches")
    for name in (element.get("name") for element in nav.iter("saved")):
        assert name in saved
    app = conf("app")
    assert app["ui"]["is_visible"] == "true" and app["ui"]["label"] == "Ngrok Reverse Proxy Detection"
    for icon in ("appIcon.png", "appIcon_2x.png", "appIconAlt.png", "appIconAlt_2x.png"):
        assert os.path.exists(os.path.join(built_app_dir, "appserver", "static", icon))
