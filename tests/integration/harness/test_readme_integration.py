"""The integration suite's documentation (docs/development.md, "Integration tests in a real Splunk") names every
live test file and every setting the suite reads (no Splunk needed; part of make test)."""

import glob
import os
import re

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(HERE))


def integration_section():
    with open(os.path.join(ROOT, "docs", "development.md"), encoding="utf-8") as handle:
        text = handle.read()
    start = text.index("## Integration tests in a real Splunk")
    return text[start:text.index("\n## ", start + 1)]


def test_every_live_test_file_is_in_the_table():
    section = integration_section()
    files = [os.path.basename(path) for path in glob.glob(os.path.join(HERE, "test_*_live.py"))]
    assert files
    assert [name for name in files if "`%s`" % name not in section] == []


def test_every_setting_the_suite_reads_is_documented():
    section = integration_section()
    read = set()
    for path in glob.glob(os.path.join(HERE, "*.py")):
        with open(path, encoding="utf-8") as handle:
            read.update(re.findall(r"""environ(?:\.get\(|\[)["'](SPLUNK_[A-Z_]+)""", handle.read()))
    assert read
    assert sorted(name for name in read if "`%s`" % name not in section) == []


def test_the_python_check_knows_every_image_tag_the_readme_names():
    from test_python_live import EXPECTED_PYTHON, expected_python
    tags = set(re.findall(r"splunk/splunk:(\d+\.\d+\.\d+)", integration_section()))
    assert tags, "the integration documentation names no image tag"
    assert {tag: expected_python(tag) for tag in tags if expected_python(tag) is None} == {}
    assert expected_python("9.4.3") == "3.9" and expected_python("10.2.0") == "3.13"
    assert EXPECTED_PYTHON[-1] == ("10.", "3.13")
