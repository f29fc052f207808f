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


def test_readme_breakdown_examples_are_what_the_command_writes():
    from ngrokscore_local import run

    row = {"dest": "web-prod-03", "user": "www-data", "parent_process_name": "apache2",
           "process": "/tmp/ngrok tcp 22 --log=stdout"}
    cases = [([row], []), ([dict(row, process="ngrok version", parent_process_name="bash")], ["impact=20"]),
             ([dict(row, process="ngrok http 80", parent_process_name="bash")], []),
             ([row], ["modifiers=false", "impact=80"])]
    text = readme()
    for rows, args in cases:
        [out] = run(rows, args).rows
        assert "| %s | `%s` |" % (out["risk_score"], out["risk_score_breakdown"]) in text, out["risk_score_breakdown"]


def test_readme_runner_example_is_what_the_runner_prints(tmp_path):
    import subprocess
    import sys

    sample = os.path.join(ROOT, "samples", "ngrok_detections.csv")
    with open(sample, encoding="utf-8") as handle:
        first_row = "".join(handle.readlines()[:2])
    one = tmp_path / "one.csv"
    one.write_text(first_row, encoding="utf-8")
    printed = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "ngrokscore_local.py"), str(one)],
                             capture_output=True, text=True, check=True).stdout
    table = printed.split("\n\n1 result(s) in")[0]
    assert "```text\n%s\n```" % table in readme()
