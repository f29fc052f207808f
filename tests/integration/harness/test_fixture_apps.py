"""The live suite's test-only apps agree with the built app (no Splunk needed; part of make test): the minimal
Endpoint data model defines every Endpoint.Processes field that any search of the built app reads, the suite's
process events carry every one of them, and the fixtures app tags those events with the model's constraint."""

import configparser
import glob
import json
import os
import re

from process_events import SOURCETYPE, V10_FIELDS, detection_events

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILT_APP = os.path.join(ROOT, "build", "SA-ngrok-detection")
ENDPOINT_APP = os.path.join(HERE, "fixtures", "it_ngrok_endpoint")
FIXTURE_APP = os.path.join(HERE, "fixtures", "it_ngrok_fixtures")
_PROCESSES_FIELD = re.compile(r"\bProcesses\.(\w+)")


def conf(path):
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser


def processes_dataset():
    with open(os.path.join(ENDPOINT_APP, "default", "data", "models", "Endpoint.json"), encoding="utf-8") as handle:
        model = json.load(handle)
    assert model["modelName"] == "Endpoint"
    [dataset] = [item for item in model["objects"] if item["objectName"] == "Processes"]
    return dataset


def model_fields():
    dataset = processes_dataset()
    fields = [field["fieldName"] for field in dataset["fields"]]
    for calculation in dataset["calculations"]:
        fields += [field["fieldName"] for field in calculation["outputFields"]]
    assert len(fields) == len(set(fields)), "a field defined twice: %s" % fields
    return set(fields)


def fields_read_by_the_built_app():
    """Every Processes.<field> in the built app's conf files and views (searches, drilldowns, dashboards)."""
    found = set()
    paths = glob.glob(os.path.join(BUILT_APP, "default", "*.conf"))
    paths += glob.glob(os.path.join(BUILT_APP, "default", "data", "ui", "views", "*.xml"))
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            found.update(_PROCESSES_FIELD.findall(handle.read()))
    return found


def test_the_model_defines_upstream_v10s_twenty_fields_and_every_field_the_app_reads():
    fields = model_fields()
    assert set(V10_FIELDS) <= fields
    read = fields_read_by_the_built_app()
    assert read, "the built app reads no Processes.* field: is this the detection's app?"
    assert read <= fields, "fields the app reads that the fixture model lacks: %s" % sorted(read - fields)


def test_the_model_is_registered_and_exported():
    assert conf(os.path.join(ENDPOINT_APP, "default", "datamodels.conf")).has_section("Endpoint")
    with open(os.path.join(ENDPOINT_APP, "metadata", "default.meta"), encoding="utf-8") as handle:
        assert "export = system" in handle.read()


def test_the_events_carry_every_model_field_and_the_fixture_tags_match_the_constraint():
    fields = model_fields()
    for key, event in detection_events("r1").items():
        missing = fields - set(event)
        assert missing <= ({"user", "user_id"} if key == "nouser" else set()), (key, missing)
    [constraint] = processes_dataset()["constraints"]
    required_tags = set(re.findall(r"\btag=(\w+)", constraint["search"]))
    assert required_tags == {"process", "report"}
    eventtypes = conf(os.path.join(FIXTURE_APP, "default", "eventtypes.conf"))
    [eventtype] = [name for name in eventtypes.sections()
                   if eventtypes.get(name, "search").strip() == "sourcetype=" + SOURCETYPE]
    tags = conf(os.path.join(FIXTURE_APP, "default", "tags.conf"))
    enabled = {tag for tag, state in tags.items("eventtype=" + eventtype) if state == "enabled"}
    assert enabled == required_tags


def test_the_model_uses_the_cim_format():
    """The keys and values the CIM app's own Endpoint.json uses for fields, calculations and constraints."""
    dataset = processes_dataset()
    assert dataset["parentName"] == "BaseEvent" and dataset["children"] == []
    fields = list(dataset["fields"])
    for calculation in dataset["calculations"]:
        assert set(calculation) == {"calculationID", "calculationType", "outputFields", "expression"}
        assert calculation["calculationType"] == "Eval"
        [output] = calculation["outputFields"]
        assert output["fieldName"] in calculation["expression"]
        fields.append(output)
    for field in fields:
        assert set(field) == {"fieldName", "displayName", "type", "fieldSearch", "required", "multivalue", "hidden"}
        assert field["type"] in ("string", "number", "boolean", "timestamp")
        assert field["required"] is False and field["hidden"] is False
