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
    assert stanza["chunked"] == "true"
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
    params = {key[len("param."):]: value for key, value in action.items()
              if key.startswith("param.") and not key.startswith("param._")}
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


# The upstream detection, version 10 (2026-03-10), as Splunk's security_content publishes it: its by-clause, in order.
UPSTREAM_V10_BY_FIELDS = [
    "action", "dest", "original_file_name", "parent_process", "parent_process_exec", "parent_process_guid",
    "parent_process_id", "parent_process_name", "parent_process_path", "process", "process_exec", "process_guid",
    "process_hash", "process_id", "process_integrity_level", "process_name", "process_path", "user", "user_id",
    "vendor_product"]


def test_the_detection_saved_search(conf):
    stanza = conf("savedsearches")[DETECTION]
    spl = stanza["search"]
    assert spl == detection.detection_search()
    assert spl.startswith("| tstats `security_content_summariesonly` count min(_time) as firstTime")
    patterns = [p.strip() for p in re.search(r"Processes\.process IN \(([^)]*)\)", spl).group(1).split(",")]
    assert patterns == ['"*start*"', '"*--config*"', '"*http*"', '"*authtoken*"', '"*tcp*"']
    assert len(set(patterns)) == len(patterns)  # upstream's duplicated "*http*" stays out
    by_clause = re.search(r" by (.*?) \| `drop_dm_object_name", spl).group(1).split()
    assert by_clause == ["Processes." + field for field in UPSTREAM_V10_BY_FIELDS]
    assert "| ngrokscore on_allowlist=drop | `linux_ngrok_reverse_proxy_usage_filter`" in spl
    assert (stanza["cron_schedule"], stanza["dispatch.earliest_time"], stanza["dispatch.latest_time"]) == \
        ("0 * * * *", "-70m@m", "-10m@m")
    assert stanza["disabled"] == "1" and stanza["enableSched"] == "1"
    assert stanza["action.ngrok_risk"] == "1"
    # ES's own risk action is prepared but off: the two must never write the same risk events.
    assert stanza["action.risk"] == "0"
    assert "How to implement" in stanza["description"] and "Known false positives" in stanza["description"]
    assert (detection.UPSTREAM_VERSION, detection.UPSTREAM_DATE) == (10, "2026-03-10")


@pytest.mark.parametrize("name", [DETECTION, NOTABLE])
def test_scheduling_keys_escu_sets(conf, name):
    # splunk/contentctl savedsearches_detections.j2 renders these on every detection.
    stanza = conf("savedsearches")[name]
    assert stanza["realtime_schedule"] == "0"  # continuous scheduling: a skipped run is caught up, never lost
    assert stanza["allow_skew"] == "100%"
    assert stanza["is_visible"] == "false"
    assert stanza["schedule_window"] == "auto"


def es_keys(conf, name):
    stanza = conf("savedsearches")[name]
    return stanza, json.loads(stanza["action.correlationsearch.annotations"]), \
        json.loads(stanza["action.correlationsearch.metadata"])


def test_the_detection_metadata_has_one_source_of_truth(conf, built_app_dir):
    stanza, annotations, metadata = es_keys(conf, DETECTION)
    assert stanza["action.correlationsearch.enabled"] == "1"
    assert stanza["action.correlationsearch.label"] == detection.DETECTION_NAME
    assert stanza["action.correlationsearch.detection_type"] == "ebd"
    assert stanza["action.risk.param._risk_message"] == detection.DEFAULT_MESSAGE
    assert annotations == {
        "analytic_story": [detection.ANALYTIC_STORY],
        "cis20": list(detection.CIS_CONTROLS),
        "data_source": ["Sysmon for Linux EventID 1"],
        "kill_chain_phases": [detection.KILL_CHAIN_PHASE],
        "mitre_attack": [technique_id for technique_id, _ in detection.MITRE_TECHNIQUES],
        "nist": list(detection.NIST_CATEGORIES),
        "type": "Anomaly",
        "type_list": ["Anomaly"],
    }
    assert metadata == {"detection_id": detection.DETECTION_ID, "deprecated": "0", "detection_version": "10",
                        "publish_time": 1773100800.0}  # 2026-03-10T00:00:00Z
    base = detection.base_score(detection.DEFAULT_IMPACT, detection.DEFAULT_CONFIDENCE)
    risk = json.loads(stanza["action.risk.param._risk"])
    assert [(r.get("risk_object_field"), r.get("risk_object_type"), r.get("risk_score")) for r in risk[:2]] == \
        [("dest", "system", base), ("user", "user", base)]
    assert [r.get("threat_object_field") for r in risk[2:]] == ["parent_process_name", "process_name"]
    # Every search that writes risk events, by its own id (the threshold rule and the dashboard count them all).
    assert conf("macros")["ngrok_risk_events"]["definition"] == 'index=risk sourcetype=stash detection_id IN (%s)' % (
        ", ".join('"%s"' % search.id for search in detection.RISK_SEARCHES))
    readme = open(os.path.join(os.path.dirname(os.path.dirname(built_app_dir)), "README.md"), encoding="utf-8").read()
    assert detection.DETECTION_NAME in readme and NOTABLE in readme
    # The README names the upstream version detection.py follows, and lists the differences from it.
    assert "version %d (%s)" % (detection.UPSTREAM_VERSION, detection.UPSTREAM_DATE) in readme
    assert "### Differences from upstream ESCU" in readme


@pytest.mark.parametrize("name", [DETECTION, NOTABLE])
def test_every_correlation_search_carries_what_es_reads(conf, name):
    stanza, annotations, metadata = es_keys(conf, name)
    for key in ("action.correlationsearch.enabled", "action.correlationsearch.label",
                "action.correlationsearch.detection_type", "action.correlationsearch.annotations",
                "action.correlationsearch.metadata", "action.notable.param.drilldown_searches"):
        assert stanza.get(key), (name, key)
    # ES reads every annotation key but "type" as a framework with a list of values: no detection_id string there.
    assert "detection_id" not in annotations
    for key, value in annotations.items():
        assert isinstance(value, str if key == "type" else list), (name, key)
    assert set(annotations) >= {"analytic_story", "mitre_attack", "type", "type_list"}
    assert set(metadata) == {"detection_id", "detection_version", "publish_time", "deprecated"}
    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", metadata["detection_id"])
    assert metadata["deprecated"] in ("0", "1") and metadata["detection_version"].isdigit()
    assert isinstance(metadata["publish_time"], float)
    notable = conf("savedsearches")[NOTABLE]
    assert json.loads(notable["action.correlationsearch.annotations"])["mitre_attack"] == \
        [technique_id for technique_id, _ in detection.MITRE_TECHNIQUES]


def test_no_conf_holds_a_build_placeholder(built_app_dir):
    # ESCU's own build replaces %original_detection_search%; Splunk and ES never do.
    for directory, _, files in os.walk(os.path.join(built_app_dir, "default")):
        for name in files:
            text = open(os.path.join(directory, name), encoding="utf-8").read()
            assert not re.search(r"%[a-z][a-z_]{3,}%", text), name


def drilldowns(conf):
    for name, stanza in conf("savedsearches").items():
        for drilldown in json.loads(stanza.get("action.notable.param.drilldown_searches", "[]")):
            yield name, drilldown


def exported_to_system(built_app_dir):
    """Objects default.meta exports to the system: {"macros/ngrok_risk_events", "commands/ngrokscore", ...}."""
    parser = TABConfigParser()
    with open(os.path.join(built_app_dir, "metadata", "default.meta"), encoding="utf-8") as handle:
        parser.read_string(re.sub(r"^\[\]$", "[__app__]", handle.read(), flags=re.MULTILINE))
    return {section for section in parser.sections() if dict(parser.items(section)).get("export") == "system"}


def test_every_drilldown_runs_as_written_from_any_app(conf, built_app_dir):
    """Incident Review runs drilldowns in ES's app context: every macro in them must be defined here and exported
    to the system (and only ngrok_* names may be exported, so that none shadows ESCU's or CIM's); every custom
    command must be exported too."""
    exported = exported_to_system(built_app_dir)
    macros = conf("macros")
    commands = conf("commands")
    checked = 0
    for name, drilldown in drilldowns(conf):
        spl = drilldown["search"]
        assert drilldown["name"]
        # The 7-day risk history bounds its own time in the SPL and carries no offsets (as contentctl renders it);
        # every other drilldown runs over the time range of the search that fired.
        if "earliest=-7d@d" in spl:
            assert "earliest_offset" not in drilldown and "latest_offset" not in drilldown
        else:
            assert (drilldown["earliest_offset"], drilldown["latest_offset"]) == ("$info_min_time$", "$info_max_time$")
        for macro, args in _MACRO.findall(spl):
            stanza_name = "%s(%d)" % (macro, len(args.split(","))) if args else macro
            assert stanza_name in macros and "macros/" + stanza_name in exported, \
                "%s drilldown %r uses `%s`, which other apps cannot resolve" % (name, drilldown["name"], macro)
            assert macro.startswith("ngrok_"), macro
        for command in re.findall(r"\|\s*(\w+)", spl):
            if command in commands:
                assert "commands/" + command in exported, command
        checked += 1
    # Two per detection (results, risk history); the rule's risk events and upstream processes, and one per search
    # of the app's own (issue 12) with its findings on the risk object.
    assert checked == 2 + 2 + 2 * len(detection.EXTRA_SEARCHES) + len(detection.EXTRA_SEARCHES)
    for section in exported:
        if section.startswith("macros/"):
            assert section.split("/", 1)[1].startswith("ngrok_"), section


def test_the_detection_drilldowns(conf):
    found = dict((drilldown["name"], drilldown["search"]) for name, drilldown in drilldowns(conf) if name == DETECTION)
    results, risk = found.values()
    # The detection's own search, macros written out, narrowed to the user and host of the finding.
    assert results.startswith("| tstats summariesonly=false allow_old_summaries=true fillnull_value=null count ")
    assert results.endswith('ctime(lastTime) | search user="$user$" dest="$dest$" | ngrokscore on_allowlist=drop')
    assert "| rename Processes.* AS * |" in results
    assert "earliest=-7d@d latest=now" in risk and 'risk_object IN ("$user$", "$dest$")' in risk
    assert re.search(r"\| dedup risk_event_id keepempty=true \| stats ", risk)


def test_the_risk_notable(conf):
    stanza = conf("savedsearches")[NOTABLE]
    assert stanza["disabled"] == "1" and stanza["action.notable"] == "1"
    assert "`ngrok_risk_events`" in stanza["search"] and "`ngrok_risk_notable_threshold`" in stanza["search"]
    # Each risk event counts once: a batch indexed twice after a retry must not add its scores twice. keepempty
    # keeps risk events without the id (ES's own), which dedup would otherwise drop.
    assert stanza["search"].startswith("`ngrok_risk_events` | dedup risk_event_id keepempty=true | stats ")
    assert conf("macros")["ngrok_risk_notable_threshold"]["definition"] == "100"
    assert stanza["dispatch.earliest_time"] == "-24h@h"
    for key in ("rule_title", "rule_description", "security_domain", "severity", "drilldown_searches"):
        assert stanza["action.notable.param." + key], key
    found = json.loads(stanza["action.notable.param.drilldown_searches"])
    # Risk events of every search (ngrok_risk_events counts them all), upstream's processes, each other search's
    # findings on the risk object.
    assert len(found) == 2 + len(detection.EXTRA_SEARCHES)
    assert found[0]["search"].startswith("`ngrok_risk_events` ")
    for extra, drilldown in zip(detection.EXTRA_SEARCHES, found[2:]):
        assert extra.name in drilldown["name"], drilldown
        assert "=\"$risk_object$\"" in drilldown["search"]
        assert "ngrokscore on_allowlist=drop" in drilldown["search"] and "message=" not in drilldown["search"]


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


# What each supported Splunk version's commands.conf.spec / alert_actions.conf.spec says about the Python keys
# (docs/python-keys.md quotes them): the python.version values it lists, the Python each selects, and whether it has
# python.required ("takes precedence over 'python.version'", "selects the highest version ... available").
_PY_VALUES = {"default", "python", "python2", "python3", "python3.7", "python3.9", "latest"}
PYTHON_KEY_SPECS = {
    "9.3": (_PY_VALUES, {"python3": "3.7", "python3.7": "3.7", "python3.9": "3.9"}, None),
    "9.4": (_PY_VALUES, {"python3": "3.7", "python3.7": "3.7", "python3.9": "3.9"}, None),
    "10.0": (_PY_VALUES, {"python3": "3.9", "python3.7": "3.9", "python3.9": "3.9"}, None),
    "10.2": (_PY_VALUES, {"python3": "3.9", "python3.7": "3.9", "python3.9": "3.9"}, ("3.9", "3.13")),
    "10.4": (_PY_VALUES, {"python3": "3.9", "python3.7": "3.9", "python3.9": "3.9"}, ("3.9", "3.13")),
}
# The interpreters the command is tested on (tests/protocol): splunklib 3.x cannot start on Python 3.7.
TESTED_PYTHONS = {"3.9", "3.13"}


def python_selected(version, stanza):
    values, selects, required_values = PYTHON_KEY_SPECS[version]
    if required_values and stanza.get("python.required"):
        listed = [value.strip() for value in stanza["python.required"].split(",")]
        assert set(listed) <= set(required_values), listed
        return max(listed, key=lambda value: tuple(int(part) for part in value.split(".")))
    assert stanza["python.version"] in values
    return selects.get(stanza["python.version"])


@pytest.mark.parametrize("conf_name, stanza_name", [("commands", "ngrokscore"), ("alert_actions", "ngrok_risk")])
def test_python_keys_select_a_tested_python_on_every_supported_splunk(conf, conf_name, stanza_name):
    stanza = conf(conf_name)[stanza_name]
    assert {key: value for key, value in stanza.items() if key.startswith("python.")} == \
        {"python.version": "python3.9", "python.required": "3.9, 3.13"}
    for version in PYTHON_KEY_SPECS:
        assert python_selected(version, stanza) in TESTED_PYTHONS, version
    # Why not python.version = python3: on 9.3 and 9.4 it selects Python 3.7.
    assert python_selected("9.4", dict(stanza, **{"python.version": "python3"})) == "3.7"


def test_ngrok_risk_is_an_adaptive_response_action(conf):
    # Common Action Model (Splunk_SA_CIM README/alert_actions.conf.spec, Appendix A): category, task, subject and
    # technology (vendor, product) are required; supports_adhoc lets analysts run it from Incident Review.
    cam = json.loads(conf("alert_actions")["ngrok_risk"]["param._cam"])
    for key in ("category", "task", "subject"):
        assert isinstance(cam[key], list) and cam[key], key
    assert cam["category"] == ["Information Conveyance"] and cam["task"] == ["create"]
    assert cam["subject"] == ["splunk.event"]
    assert all(technology["vendor"] and technology["product"] for technology in cam["technology"])
    assert cam["supports_adhoc"] is True


def test_every_count_of_risk_events_counts_each_risk_event_id_once(conf, built_app_dir):
    """Risk events are read in the threshold rule, its drilldowns and the dashboard; wherever they are counted,
    summed or listed, duplicates (the same risk_event_id indexed twice) are dropped first."""
    found = 0
    for where, spl in searches(conf, built_app_dir):
        if "ngrok_risk_events" not in spl and "index=risk" not in spl:
            continue
        found += 1
        first_stage = re.search(r"\|\s*(stats|table|timechart|chart)\b", spl)
        assert first_stage, where
        assert re.search(r"\| dedup risk_event_id keepempty=true \|", spl[:first_stage.end()]), where
    view = open(os.path.join(built_app_dir, "default", "data", "ui", "views", "ngrok_activity.xml"),
                encoding="utf-8").read()
    link = re.search(r"<link[^>]*>search\?q=([^<]*)</link>", view).group(1)
    assert "dedup%20risk_event_id%20keepempty%3Dtrue" in link
    assert found >= 4  # the rule, two drilldowns, the dashboard panel


def test_the_dashboard_gives_ngrokscore_the_fields_it_scores_on(built_app_dir):
    view = ElementTree.parse(os.path.join(built_app_dir, "default", "data", "ui", "views", "ngrok_activity.xml"))
    [findings] = [query.text for query in view.getroot().iter("query") if "ngrokscore" in query.text]
    by_clause = re.search(r" by (.*?) \|", findings).group(1).split()
    for field in ("dest", "user", "parent_process_name", "parent_process", "parent_process_path", "process",
                  "process_path"):
        assert "Processes." + field in by_clause, field
