"""Which Python splunkd runs the command under, for the Splunk version under test.

The command runs through the recorder (ngrokscorerecorded, installed only in the suite's container), whose stanza
carries every python.* key of [ngrokscore] (checked here as splunkd serves both), so splunkd picks the same
interpreter for it; the recorder runs the built command under that very interpreter and writes down its version.

Expected versions follow the keys the app ships (docs/python-keys.md, from the commands.conf specs): with
python.version = python3.9, Splunk 9.3, 9.4, 10.0 and 10.1 run Python 3.9; from 10.2 on, python.required (3.9, 3.13)
takes precedence and picks 3.13. Before 9.3 only Python 3.7 exists, on which the vendored splunklib cannot start: not
supported. The 10.0 and 10.1 rows are not verified against a real Splunk yet. A version the table does not know
fails with the version seen, so that a run never passes without checking.
"""

import json
import posixpath

import pytest

from protocol_transcripts import RECORDED_COMMAND
from splunk_docker import DISPATCH_DIR, SPLUNK_HOME
from splunk_search import rest_content, run_search

pytestmark = pytest.mark.splunk

# (Splunk version, expected Python major.minor): the first row whose version the Splunk's has as prefix wins.
EXPECTED_PYTHON = [
    ("9.3.", "3.9"), ("9.4.", "3.9"),
    ("10.0.", "3.9"), ("10.1.", "3.9"),
    ("10.", "3.13"),
]


def expected_python(splunk_version):
    for prefix, python in EXPECTED_PYTHON:
        if (splunk_version + ".").startswith(prefix):
            return python
    return None


@pytest.fixture(scope="module")
def container_splunk(splunk):
    if splunk.container is None:
        pytest.skip("the interpreter check needs Docker mode: the recorder is installed only in the suite's container")
    return splunk


def test_the_command_runs_under_the_python_of_this_splunk_version(container_splunk, service, admin):
    served = rest_content(service, "configs/conf-commands/ngrokscore")
    recorder = rest_content(service, "configs/conf-commands/" + RECORDED_COMMAND)
    python_keys = {key: value for key, value in served.items() if key.startswith("python.")}
    assert python_keys, served
    assert {key: recorder.get(key) for key in python_keys} == python_keys
    assert served["chunked"] == recorder["chunked"]

    outcome = run_search(service, '| makeresults | eval dest="it-python", process="ngrok tcp 22" | %s'
                         % RECORDED_COMMAND)
    assert not outcome.errors and len(outcome.rows) == 1, outcome
    files = container_splunk.container.read_tree("%s/%s" % (DISPATCH_DIR, outcome.sid))
    [record] = [json.loads(data) for name, data in files.items() if posixpath.basename(name).endswith(".python")]
    version = admin.info["version"]
    expected = expected_python(version)
    assert expected, "Splunk %s ran the command under Python %s: add the version to EXPECTED_PYTHON (and docs/development.md)" % (
        version, record["version"])
    assert record["version"].startswith(expected + "."), (version, record)
    assert record["executable"].startswith(SPLUNK_HOME + "/"), record  # Splunk's own interpreter, not the image's
