"""The README and searchbnf.conf say what the built command does: defaults, fields and shipped modifiers."""

import csv
import os
import re

from addonfactory_splunk_conf_parser_lib import TABConfigParser

from sa_ngrok_detection import detection, lookup_files, options

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        return handle.read()


def test_readme_states_the_detection_metadata():
    text = readme()
    assert detection.DETECTION_ID in text and detection.ANALYTIC_STORY in text
    assert "`%s`" % detection.DEFAULT_MESSAGE in text
    for technique_id, name in detection.MITRE_TECHNIQUES:
        assert technique_id in text and name in text
    assert detection.MITRE_TACTIC in text and detection.MITRE_TACTIC_ID in text


def test_readme_option_table_matches_the_defaults():
    rows = dict(re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|", readme(), re.MULTILINE))
    for name in options.OPTION_NAMES:
        assert name in rows, name
        if name != "message":
            assert rows[name].strip() == "`%s`" % options.DEFAULTS[name], name


def test_readme_lists_every_output_field():
    text = readme()
    for field in detection.OUTPUT_FIELDS:
        assert "`%s`" % field in text, field


def test_readme_modifier_table_matches_the_shipped_lookup(built_app):
    with open(os.path.join(built_app, "lookups", lookup_files.MODIFIER_DEFAULTS_FILE), encoding="utf-8") as handle:
        shipped = [(row["modifier"], int(row["score"]), row["reason"]) for row in csv.DictReader(handle)]
    documented = [(name, int(score), reason.strip()) for name, score, reason in re.findall(
        r"^\| `(\w+)` \| [^|]+ \| ([+-]\d+) \| ([^|]+) \|", readme(), re.MULTILINE)]
    assert documented == shipped


def test_searchbnf_documents_every_option(built_app):
    parser = TABConfigParser()
    parser.read(os.path.join(built_app, "default", "searchbnf.conf"))
    syntax = parser.get("ngrokscore-command", "syntax")
    for name in options.OPTION_NAMES:
        assert "(%s=" % name in syntax, name
    description = parser.get("ngrokscore-command", "description")
    assert "defaults 50 and 100" in description and options.DEFAULTS["allowlist"] in description
