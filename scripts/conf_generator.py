"""Renders the conf keys that carry detection metadata into the built app, from its one source of truth
(app/bin/sa_ngrok_detection/detection.py).

The source confs (app/default/savedsearches.conf, macros.conf) hold only what is tuned by hand (schedules, alert
settings, descriptions); this module adds, per stanza, the keys derived from detection.py: the detection's search,
the ES correlation-search keys (label, annotations, metadata, detection type), the risk settings, the drilldown
searches and the risk-events macro. A source conf that already sets one of these keys, or a stanza the generator
expects and does not find, stops the build: the metadata can never be repeated by hand or silently dropped.

Drilldowns run from Incident Review in Enterprise Security's app context, not in this app's, so every macro in them
is written out (inlined from macros.conf) unless default.meta exports it to the whole system. Exporting is only safe
for macros whose names are this app's own (ngrok_*): exporting security_content_* or drop_dm_object_name would
shadow, or be shadowed by, the definitions of ESCU and the CIM app, whose values admins tune for their own content,
and the filter macro has ESCU's name. Inlining freezes a definition at build time, which for these is the point: the
drilldown then runs the same SPL in every app.
"""

import datetime
import importlib.util
import json
import os
import re

from addonfactory_splunk_conf_parser_lib import TABConfigParser

# ESCU's savedsearches template (splunk/contentctl, contentctl/output/templates/savedsearches_detections.j2) sets
# action.correlationsearch.detection_type = ebd ("event-based detection") on every detection it renders.
DETECTION_TYPE_KEY_VALUE = "ebd"
_PLACEHOLDER = re.compile(r"%[a-z][a-z_]{3,}%")  # %original_detection_search%, not strftime's %dT%
_MACRO = re.compile(r"`([^`(]+)(?:\(([^`]*)\))?`")


class GenerationError(Exception):
    pass


def load_detection(app_dir):
    """detection.py of the app being built, loaded by path (it imports nothing of its package)."""
    path = os.path.join(app_dir, "bin", "sa_ngrok_detection", "detection.py")
    spec = importlib.util.spec_from_file_location("_built_detection", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_conf(path):
    parser = TABConfigParser()
    with open(path, encoding="utf-8") as handle:
        # The parser drops the app-wide stanza "[]" of .meta files: read it under a name of its own.
        parser.read_string(re.sub(r"^\[\]$", "[__app__]", handle.read(), flags=re.MULTILINE))
    return {section: dict(parser.items(section)) for section in parser.sections()}


def exported_macros(app_dir):
    """Names of the macros default.meta exports to the system (their object stanza says export = system)."""
    meta = read_conf(os.path.join(app_dir, "metadata", "default.meta"))
    return {section.split("/", 1)[1] for section, keys in meta.items()
            if section.startswith("macros/") and keys.get("export", "").strip() == "system"}


def split_macro_args(text):
    """Macro call arguments: comma-separated, commas inside double quotes kept."""
    args, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            args.append(current.strip())
            current = ""
        else:
            current += char
    args.append(current.strip())
    return args


def inline_macros(spl, macros, keep=()):
    """The SPL with every macro call replaced by its macros.conf definition, except the names in ``keep``."""

    def expand(match, depth=0):
        name, args_text = match.group(1).strip(), match.group(2)
        if name in keep:
            return match.group(0)
        args = split_macro_args(args_text) if args_text is not None else []
        stanza_name = "%s(%d)" % (name, len(args)) if args else name
        stanza = macros.get(stanza_name)
        if stanza is None:
            raise GenerationError("macro `%s` has no [%s] in macros.conf" % (name, stanza_name))
        definition = stanza["definition"]
        if args:
            for arg_name, value in zip([arg.strip() for arg in stanza["args"].split(",")], args):
                definition = definition.replace("$%s$" % arg_name, value)
        return _MACRO.sub(expand, definition)

    return _MACRO.sub(expand, spl)


def drilldown(name, search, offsets=True):
    # $info_min_time$/$info_max_time$: the time range of the search that fired, as upstream's drilldowns use. A
    # drilldown with its own time bounds in the SPL (the 7-day risk history) has none: contentctl renders
    # earliest_offset/latest_offset only on the drilldowns it writes with them (splunk/contentctl,
    # contentctl/objects/drilldown.py: both optional, left out of the rendered JSON when unset).
    found = {"name": name, "search": search}
    if offsets:
        found.update(earliest_offset="$info_min_time$", latest_offset="$info_max_time$")
    return found


def metadata(detection_id, version, date, deprecated=False):
    """action.correlationsearch.metadata as contentctl renders it (detection_abstract.py, metadata)."""
    day = datetime.datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc)
    return {"detection_id": detection_id, "deprecated": "1" if deprecated else "0",
            "detection_version": str(version), "publish_time": day.timestamp()}


def generated_keys(app_dir):
    """{conf name: {stanza: {key: value}}} for every key that carries detection metadata."""
    d = load_detection(app_dir)
    macros = read_conf(os.path.join(app_dir, "default", "macros.conf"))
    keep = exported_macros(app_dir)
    techniques = [technique_id for technique_id, _ in d.MITRE_TECHNIQUES]

    def portable(spl):
        return inline_macros(spl, macros, keep)

    # The risk events of every search that writes them (the threshold rule and the dashboard count them all).
    risk_events_macro = "index=risk sourcetype=stash detection_id IN (%s)" % ", ".join(
        '"%s"' % search.id for search in d.RISK_SEARCHES)
    # Risk events of the last 7 days from the risk index, each risk_event_id counted once (a retried batch may have
    # indexed one twice). Inline time bounds, because upstream's starthoursago inside "| search" no longer works on
    # the Risk data model of ES 8 (splunk/security_content issue #3976).
    risk_history = (
        'index=risk earliest=-7d@d latest=now risk_object IN ("$user$", "$dest$") | dedup risk_event_id keepempty=true '
        '| stats count sum(risk_score) as "Total Risk" min(_time) as firstTime max(_time) as lastTime '
        'values(search_name) as "Search Name" values(risk_message) as "Risk Message" '
        'values(annotations.mitre_attack.mitre_tactic) as "ATT&CK Tactics" by risk_object '
        '| `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)`'
    )
    detection_drilldowns = [
        # Narrowed after the tstats, as upstream does: the tstats fills a missing user or host with "null", which a
        # where clause on the data model field would not match.
        drilldown('View the detection results for - "$user$" and "$dest$"',
                  portable('%s | search user="$user$" dest="$dest$" | %s' % (d.tstats_search(), d.SCORING_STAGE))),
        drilldown('View risk events for the last 7 days for - "$user$" and "$dest$"', portable(risk_history),
                  offsets=False),
    ]
    rule_drilldowns = [
        drilldown('View the ngrok risk events of "$risk_object$"', portable(
            '`ngrok_risk_events` risk_object="$risk_object$" | dedup risk_event_id keepempty=true '
            '| table _time risk_object risk_object_type risk_score risk_message threat_object search_name orig_sid '
            'risk_event_id')),
        drilldown('View the ngrok processes on "$risk_object$"', portable("%s | ngrokscore" % d.tstats_search(
            '(Processes.dest="$risk_object$" OR Processes.user="$risk_object$")'))),
    ]
    # The findings of the app's own searches on the risk object (the risk-event drilldown above covers every search;
    # these show the source findings). Network searches have host risk objects only.
    for extra in d.EXTRA_SEARCHES:
        narrow = " OR ".join('%s="$risk_object$"' % field for field in extra.objects)
        rule_drilldowns.append(drilldown('View the findings of %s on "$risk_object$"' % extra.name, portable(
            "%s | search %s | %s" % (extra.tstats(), narrow, extra.scoring(message=False)))))

    # Annotations as contentctl renders them (detection_abstract.py, annotations): sorted keys, lists everywhere
    # except "type" (with "type_list" beside it). The detection id is not an annotation: ES reads every annotation
    # key as a framework; it belongs in the metadata.
    detection_annotations = {
        "analytic_story": [d.ANALYTIC_STORY],
        "cis20": list(d.CIS_CONTROLS),
        "data_source": list(d.DATA_SOURCES),
        "kill_chain_phases": [d.KILL_CHAIN_PHASE],
        "mitre_attack": techniques,
        "nist": list(d.NIST_CATEGORIES),
        "type": d.DETECTION_TYPE,
        "type_list": [d.DETECTION_TYPE],
    }
    rule_annotations = {
        "analytic_story": [d.ANALYTIC_STORY],
        "kill_chain_phases": [d.KILL_CHAIN_PHASE],
        "mitre_attack": techniques,
        "type": d.NOTABLE_RULE_TYPE,
        "type_list": [d.NOTABLE_RULE_TYPE],
    }
    saved_searches = {
        d.DETECTION_NAME: {
            "search": d.detection_search(),
            "action.correlationsearch.label": d.DETECTION_NAME,
            "action.correlationsearch.detection_type": DETECTION_TYPE_KEY_VALUE,
            "action.correlationsearch.annotations": json.dumps(detection_annotations),
            "action.correlationsearch.metadata": json.dumps(
                metadata(d.DETECTION_ID, d.UPSTREAM_VERSION, d.UPSTREAM_DATE, d.UPSTREAM_DEPRECATED)),
            "action.risk.param._risk_message": d.DEFAULT_MESSAGE,
            "action.risk.param._risk": json.dumps(d.risk_settings()),
            "action.notable.param.drilldown_searches": json.dumps(detection_drilldowns),
        },
        d.NOTABLE_RULE_NAME: {
            "action.correlationsearch.label": d.NOTABLE_RULE_LABEL,
            "action.correlationsearch.detection_type": DETECTION_TYPE_KEY_VALUE,
            "action.correlationsearch.annotations": json.dumps(rule_annotations),
            "action.correlationsearch.metadata": json.dumps(
                metadata(d.NOTABLE_RULE_ID, d.NOTABLE_RULE_VERSION, d.NOTABLE_RULE_DATE)),
            "action.notable.param.security_domain": d.SECURITY_DOMAIN,
            # The notable's risk object, as contentctl renders nes_fields on every notable it writes (splunk/contentctl,
            # contentctl/output/templates/savedsearches_detections.j2: action.notable.param.nes_fields).
            "action.notable.param.nes_fields": "risk_object",
            "action.notable.param.drilldown_searches": json.dumps(rule_drilldowns),
        },
    }
    saved_searches.update(extra_search_keys(d, portable))
    keys = {
        "savedsearches": saved_searches,
        "macros": {
            "ngrok_risk_events": {"definition": risk_events_macro},
            # Eval expressions (the eval "in" function; the search command's IN operator is not eval syntax): is a
            # risk event from a process search, from a network search (the dashboard's EDR blind-spot panel)?
            "ngrok_process_findings": {"definition": "in(search_name, %s)" % ", ".join(
                '"%s"' % name for search in (d.UPSTREAM,) + d.PROCESS_SEARCHES
                for name in (search.name, "ad hoc: " + search.name))},
            "ngrok_network_findings": {"definition": "in(search_name, %s)" % ", ".join(
                '"%s"' % extra.name for extra in d.NETWORK_SEARCHES)},
            "ngrok_missed_by_upstream_filter": {"definition": d.missed_by_upstream_filter()},
        },
    }
    # The dashboard's panels: each search's findings, allowlisted ones marked.
    for extra in d.EXTRA_SEARCHES:
        keys["macros"][extra.findings_macro] = {"definition": d.findings_search(extra)}
    return keys


def extra_search_keys(d, portable):
    """The keys of the app's own searches (detection.EXTRA_SEARCHES), rendered as the detection's are."""
    keys = {}
    for extra in d.EXTRA_SEARCHES:
        objects = ", ".join('"$%s$"' % field for field in extra.objects)
        title = " and ".join('"$%s$"' % field for field in extra.objects)
        risk_history = (
            "index=risk earliest=-7d@d latest=now risk_object IN (%s) | dedup risk_event_id keepempty=true "
            '| stats count sum(risk_score) as "Total Risk" min(_time) as firstTime max(_time) as lastTime '
            'values(search_name) as "Search Name" values(risk_message) as "Risk Message" '
            'values(annotations.mitre_attack.mitre_tactic) as "ATT&CK Tactics" by risk_object '
            "| `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)`" % objects
        )
        annotations = {
            "analytic_story": [d.ANALYTIC_STORY],
            "cis20": list(d.CIS_CONTROLS),
            "data_source": list(extra.data_sources),
            "kill_chain_phases": [d.KILL_CHAIN_PHASE],
            "mitre_attack": [technique_id for technique_id, _ in d.MITRE_TECHNIQUES],
            "nist": list(d.NIST_CATEGORIES),
            "type": extra.type,
            "type_list": [extra.type],
        }
        keys[extra.name] = {
            "search": d.search_of(extra),
            "action.correlationsearch.label": extra.name,
            "action.correlationsearch.detection_type": DETECTION_TYPE_KEY_VALUE,
            "action.correlationsearch.annotations": json.dumps(annotations),
            "action.correlationsearch.metadata": json.dumps(metadata(extra.id, extra.version, extra.date)),
            "action.risk.param._risk_message": extra.message,
            "action.risk.param._risk": json.dumps(extra.risk_settings()),
            "action.notable.param.drilldown_searches": json.dumps([
                drilldown("View the detection results for - %s" % title,
                          portable("%s | search %s | %s" % (extra.tstats(), extra.narrow, extra.scoring(message=False)))),
                drilldown("View risk events for the last 7 days for - %s" % title, portable(risk_history),
                          offsets=False),
            ]),
        }
    return keys


def add_keys(text, stanza_keys, where):
    """The conf text with ``stanza_keys`` ({stanza: {key: value}}) appended to their stanzas."""
    lines = text.splitlines()
    starts = [(index, line.strip()[1:-1]) for index, line in enumerate(lines)
              if line.strip().startswith("[") and line.strip().endswith("]")]
    missing = set(stanza_keys) - {name for _, name in starts}
    if missing:
        raise GenerationError("%s has no stanza %s" % (where, ", ".join(sorted(missing))))
    # Work from the last stanza up, so that earlier line numbers stay valid.
    bounds = [(index, name, starts[position + 1][0] if position + 1 < len(starts) else len(lines))
              for position, (index, name) in enumerate(starts)]
    for start, name, end in reversed(bounds):
        keys = stanza_keys.get(name)
        if not keys:
            continue
        present = {line.split("=", 1)[0].strip() for line in lines[start + 1:end] if "=" in line
                   and not line.lstrip().startswith("#")}
        repeated = present & set(keys)
        if repeated:
            raise GenerationError("%s [%s] sets %s by hand: these keys are generated from detection.py"
                                  % (where, name, ", ".join(sorted(repeated))))
        insert_at = end
        while insert_at > start + 1 and (not lines[insert_at - 1].strip() or lines[insert_at - 1].lstrip().startswith("#")):
            insert_at -= 1  # before the blank lines and the next stanza's leading comments
        for key, value in keys.items():
            if "\n" in value or "\r" in value:
                raise GenerationError("%s [%s] %s would span lines" % (where, name, key))
        lines[insert_at:insert_at] = ["%s = %s" % (key, value) for key, value in keys.items()]
    return "\n".join(lines) + "\n"


def render(app_dir):
    """Adds the generated keys to the built app's confs (app_dir is the built app, never the source)."""
    for conf, stanza_keys in generated_keys(app_dir).items():
        path = os.path.join(app_dir, "default", conf + ".conf")
        where = "default/%s.conf" % conf
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        text = add_keys(text, stanza_keys, where)
        placeholder = _PLACEHOLDER.search(text)
        if placeholder:
            # ESCU's build replaces %original_detection_search% in drilldowns; Splunk and ES never do.
            raise GenerationError("%s still holds the placeholder %s" % (where, placeholder.group(0)))
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
