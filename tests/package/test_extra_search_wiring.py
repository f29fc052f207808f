"""The app's own searches beyond the upstream one (issue 12) in the built app: shipped disabled, with their filter
macro, description, ES keys, drilldowns and risk settings generated from detection.py; the domains lookup ordered
so that each row gives its own hosts their role; the dashboard and `make demo` using the same searches and options."""

import csv
import json
import os
import re
import xml.etree.ElementTree as ElementTree

import pytest
from addonfactory_splunk_conf_parser_lib import TABConfigParser

from sa_ngrok_detection import detection
from sa_ngrok_detection.wildcard import Pattern

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXTRAS = detection.EXTRA_SEARCHES
ids = [extra.findings_macro for extra in EXTRAS]


def read_conf(built_app, name):
    parser = TABConfigParser()
    parser.read(os.path.join(built_app, "default", name + ".conf"))
    return {section: dict(parser.items(section)) for section in parser.sections()}


def domain_rows(built_app):
    with open(os.path.join(built_app, "lookups", detection.DOMAINS_LOOKUP_FILE), encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("extra", EXTRAS, ids=ids)
def test_each_search_ships_disabled_with_its_generated_keys(built_app, extra):
    stanza = read_conf(built_app, "savedsearches")[extra.name]
    assert stanza["disabled"] == "1" and stanza["enableSched"] == "1"
    assert stanza["action.ngrok_risk"] == "1" and stanza["action.risk"] == "0"
    assert (stanza["realtime_schedule"], stanza["allow_skew"], stanza["is_visible"]) == ("0", "100%", "false")
    assert "How to implement" in stanza["description"] and "Known false positives" in stanza["description"]
    assert stanza["search"] == detection.search_of(extra)
    assert stanza["search"].endswith("| `%s`" % extra.filter_macro)
    assert read_conf(built_app, "macros")[extra.filter_macro]["definition"] == "search *"
    annotations = json.loads(stanza["action.correlationsearch.annotations"])
    assert annotations["mitre_attack"] == ["T1572", "T1090", "T1102"]
    assert annotations["type"] == extra.type and annotations["data_source"] == list(extra.data_sources)
    metadata = json.loads(stanza["action.correlationsearch.metadata"])
    assert metadata["detection_id"] == extra.id and metadata["detection_version"] == str(extra.version)
    assert stanza["action.correlationsearch.label"] == extra.name
    risk = json.loads(stanza["action.risk.param._risk"])
    assert risk[0] == {"risk_object_field": "dest", "risk_object_type": "system", "risk_score": extra.base_score}
    results, history = json.loads(stanza["action.notable.param.drilldown_searches"])
    assert "`" not in results["search"] and "`" not in history["search"]  # macros written out: run from any app
    assert "| search %s |" % extra.narrow in results["search"]
    assert "message=" not in results["search"]  # ES would fill the message's $tokens$ from the notable


def test_ids_are_unique_and_not_upstream():
    found = [extra.id for extra in EXTRAS] + [detection.DETECTION_ID, detection.NOTABLE_RULE_ID]
    assert len(set(found)) == len(found)
    for extra in EXTRAS:
        assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", extra.id)


def test_process_and_network_searches_share_the_host_risk_object():
    for extra in detection.NETWORK_SEARCHES:
        assert extra.risk_objects == (("dest", "system"),)
        assert "rename src as dest" in extra.tstats() or "src as dest" in extra.tstats()
    for extra in detection.PROCESS_SEARCHES:
        assert ("dest", "system") in extra.risk_objects


def test_the_renamed_search_excludes_what_the_detection_reports():
    spl = detection.renamed_tstats()
    assert spl.count("NOT Processes.process_name=%s " % detection.PROCESS_NAME) == 1
    # The domains come from the lookup, not the SPL.
    assert "inputlookup %s" % detection.DOMAINS_LOOKUP in spl and "ngrok-agent.com" not in spl


def test_the_all_verbs_search_keeps_every_upstream_pattern():
    assert detection.ALL_VERBS_PATTERNS[:len(detection.PROCESS_PATTERNS)] == detection.PROCESS_PATTERNS
    for pattern in ("*tls*", "*tunnel*", "*service*", "*--url*", "*--domain*", "*--traffic-policy-file*"):
        assert pattern in detection.ALL_VERBS_PATTERNS


def test_network_searches_read_the_domains_from_the_lookup():
    for extra in detection.NETWORK_SEARCHES:
        spl = extra.tstats()
        assert '[| inputlookup ngrok_domains where enabled="true"' in spl
        # The role comes from an enabled row only (the lookup keeps the first matching row, which may be disabled).
        assert ('| eval ngrok_domain_enabled="true" | lookup ngrok_domains domain as query enabled as '
                "ngrok_domain_enabled OUTPUT role as ngrok_domain_role") in spl
        assert ".ngrok" not in spl
        # An emptied lookup (every row disabled) must select nothing, not everything.
        assert '| format emptystr="(' in spl and detection.NO_MATCH in spl
    assert '| format emptystr="(Processes.process=%s)"]' % detection.NO_MATCH in detection.renamed_tstats()


def test_the_domains_lookup(built_app):
    transforms = read_conf(built_app, "transforms")[detection.DOMAINS_LOOKUP]
    assert transforms["filename"] == detection.DOMAINS_LOOKUP_FILE
    assert transforms["match_type"] == "WILDCARD(domain)" and transforms["max_matches"] == "1"
    rows = domain_rows(built_app)
    domains = [row["domain"] for row in rows]
    assert len(set(domains)) == len(domains)
    for row in rows:
        assert row["role"] in detection.DOMAIN_ROLES and row["era"] in ("current", "legacy"), row
        assert row["enabled"] in ("true", "false") and row["source"] and row["description"], row
    # ngrok's own documentation (agent connectivity, connect URL, TCP addresses, domains).
    for domain in ("connect.ngrok-agent.com", "connect.*.ngrok-agent.com", "tunnel.*.ngrok.com",
                   "crl.ngrok-agent.com", "crl.ngrok.com", "*.tcp.ngrok.io", "*.tcp.*.ngrok.io", "*.ngrok-free.app",
                   "*.ngrok.app", "*.ngrok.io", "*.ngrok.dev", "*.ngrok-free.dev"):
        assert domain in domains, domain
    # Splunk returns the first matching row (max_matches = 1): each row's own hosts must reach it first.
    patterns = [Pattern(domain.lower()) for domain in domains]
    for index, domain in enumerate(domains):
        host = domain.replace("*", "x1")
        first = next(position for position, pattern in enumerate(patterns) if pattern.matches(host))
        assert first == index, (domain, domains[first])
    exported = open(os.path.join(built_app, "metadata", "default.meta"), encoding="utf-8").read()
    assert "[transforms/ngrok_domains]\nexport = system" in exported


def test_findings_macros_and_the_dashboard(built_app):
    macros = read_conf(built_app, "macros")
    view = ElementTree.parse(os.path.join(built_app, "default", "data", "ui", "views", "ngrok_activity.xml"))
    queries = [query.text for query in view.getroot().iter("query")]
    for extra in EXTRAS:
        assert macros[extra.findings_macro]["definition"] == detection.findings_search(extra)
        assert "ngrokscore on_allowlist=mark" in macros[extra.findings_macro]["definition"]
        assert any(query.startswith("`%s`" % extra.findings_macro) for query in queries), extra.findings_macro
    process = macros["ngrok_process_findings"]["definition"]
    network = macros["ngrok_network_findings"]["definition"]
    for extra in detection.PROCESS_SEARCHES:
        assert '"%s"' % extra.name in process and '"%s"' % extra.name not in network
    for extra in detection.NETWORK_SEARCHES:
        assert '"%s"' % extra.name in network and '"%s"' % extra.name not in process
    assert '"%s"' % detection.DETECTION_NAME in process
    [blind_spots] = [query for query in queries if "`ngrok_network_findings`" in query]
    assert "`ngrok_process_findings`" in blind_spots
    assert "where network_findings > 0 AND process_findings == 0" in blind_spots
    assert macros["ngrok_missed_by_upstream_filter"]["definition"] == detection.missed_by_upstream_filter()


def test_make_demo_gives_each_sample_the_options_of_its_search():
    makefile = open(os.path.join(ROOT, "Makefile"), encoding="utf-8").read()
    messages = dict(re.findall(r"^(RENAMED_MESSAGE|NETWORK_MESSAGE) = message=(.*)$", makefile, re.MULTILINE))
    assert messages["RENAMED_MESSAGE"].replace("$$", "$") == detection.RENAMED.message
    assert messages["NETWORK_MESSAGE"].replace("$$", "$") == detection.DNS.message
    assert "samples/ngrok_dns.csv impact=%d confidence=%d" % (detection.NETWORK_IMPACT, detection.NETWORK_CONFIDENCE) \
        in makefile
    for name in ("ngrok_renamed.csv", "ngrok_all_verbs.csv", "ngrok_dns.csv"):
        assert "samples/" + name in makefile


def sample(name):
    with open(os.path.join(ROOT, "samples", name), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def matches_any(value, patterns):
    return any(Pattern(pattern.lower()).matches(value.lower()) for pattern in patterns)


def test_each_sample_row_is_one_its_search_selects(built_app):
    """The samples are rows the searches' where clauses select (tstats matches case-insensitively, * wildcards)."""
    rows = domain_rows(built_app)
    command_line_domains = ["*%s*" % row["domain"] for row in rows
                            if row["enabled"] == "true" and row["role"] in ("agent", "endpoint", "tcp-endpoint")]
    for row in sample("ngrok_renamed.csv"):
        assert row["process_name"].lower() != detection.PROCESS_NAME
        assert (row["original_file_name"] in detection.RENAMED_ORIGINAL_FILE_NAMES
                or (matches_any(row["process"], detection.RENAMED_VERB_PATTERNS)
                    and matches_any(row["process"], detection.RENAMED_FLAG_PATTERNS))
                or matches_any(row["process"], command_line_domains)), row
    for row in sample("ngrok_all_verbs.csv"):
        assert row["process_name"] == detection.PROCESS_NAME
        assert matches_any(row["process"], detection.ALL_VERBS_PATTERNS), row
        assert not matches_any(row["process"], detection.PROCESS_PATTERNS), row  # what the variant adds
    enabled = [row for row in rows if row["enabled"] == "true"]
    for row in sample("ngrok_dns.csv"):
        first = next(domain for domain in rows if Pattern(domain["domain"].lower()).matches(row["query"].lower()))
        assert first in enabled, row
        assert (row["ngrok_domain_role"], row["ngrok_domain_era"]) == (first["role"], first["era"]), row


def test_the_hashes_lookup_ships_empty_and_feeds_the_renamed_search(built_app):
    transforms = read_conf(built_app, "transforms")[detection.HASHES_LOOKUP]
    assert transforms["filename"] == detection.HASHES_LOOKUP_FILE
    with open(os.path.join(built_app, "lookups", detection.HASHES_LOOKUP_FILE), encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["process_hash", "enabled", "description"]]
    spl = detection.renamed_tstats()
    assert '[| inputlookup %s where enabled="true" | eval process_hash="*".process_hash."*"' % detection.HASHES_LOOKUP \
        in spl
    assert '| format emptystr="(Processes.process_hash=%s)"]' % detection.NO_MATCH in spl
    exported = open(os.path.join(built_app, "metadata", "default.meta"), encoding="utf-8").read()
    assert "[transforms/ngrok_binary_hashes]\nexport = system" in exported
