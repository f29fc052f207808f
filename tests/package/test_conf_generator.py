"""scripts/conf_generator.py: the build step that writes the conf keys carrying detection metadata from detection.py.
It must refuse a source conf that repeats those keys by hand, a stanza it cannot find and a leftover placeholder."""

import os
import shutil

import pytest

import conf_generator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE_APP = os.path.join(ROOT, "app")

MACROS = {
    "security_content_ctime(1)": {"args": "field", "definition": 'convert timeformat="%Y" ctime($field$)'},
    "two(2)": {"args": "a, b", "definition": "eval x=$a$, y=$b$"},
    "outer": {"definition": "search * | `security_content_ctime(t)`"},
    "ngrok_risk_events": {"definition": "index=risk"},
}


@pytest.fixture
def source_copy(tmp_path):
    """A copy of the app's source tree (never the built app), as build.py hands it to the generator."""
    target = tmp_path / "SA-ngrok-detection"
    shutil.copytree(SOURCE_APP, str(target))
    return str(target)


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_macros_are_written_out_with_their_arguments_and_nested_calls():
    spl = "| x | `security_content_ctime(firstTime)` | `two(1, \"a,b\")` | `outer` | `ngrok_risk_events`"
    assert conf_generator.inline_macros(spl, MACROS, keep={"ngrok_risk_events"}) == (
        '| x | convert timeformat="%Y" ctime(firstTime) | eval x=1, y="a,b" | search * | convert timeformat="%Y" '
        'ctime(t) | `ngrok_risk_events`')


def test_an_undefined_macro_stops_the_build():
    with pytest.raises(conf_generator.GenerationError, match="no_such"):
        conf_generator.inline_macros("| `no_such(1)`", MACROS)


def test_the_source_confs_set_none_of_the_generated_keys(source_copy):
    generated = conf_generator.generated_keys(source_copy)
    for conf_name, stanzas in generated.items():
        source = conf_generator.read_conf(os.path.join(SOURCE_APP, "default", conf_name + ".conf"))
        for stanza, keys in stanzas.items():
            assert not set(keys) & set(source[stanza]), (conf_name, stanza)


def test_a_key_set_by_hand_stops_the_build(source_copy):
    path = os.path.join(source_copy, "default", "savedsearches.conf")
    text = read(path).replace("[Linux Ngrok Reverse Proxy Usage]\n",
                              "[Linux Ngrok Reverse Proxy Usage]\naction.correlationsearch.label = by hand\n")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    with pytest.raises(conf_generator.GenerationError, match="action.correlationsearch.label"):
        conf_generator.render(source_copy)


def test_a_placeholder_left_in_a_conf_stops_the_build(source_copy):
    path = os.path.join(source_copy, "default", "savedsearches.conf")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('\n[Extra]\naction.notable.param.drilldown_searches = [{"search": "%original_detection_search%"}]\n')
    with pytest.raises(conf_generator.GenerationError, match="%original_detection_search%"):
        conf_generator.render(source_copy)


def test_a_missing_stanza_stops_the_build(source_copy):
    path = os.path.join(source_copy, "default", "savedsearches.conf")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(read(path).replace("[Ngrok Risk Threshold Exceeded - Rule]", "[Renamed]"))
    with pytest.raises(conf_generator.GenerationError, match="Ngrok Risk Threshold Exceeded - Rule"):
        conf_generator.render(source_copy)


def test_rendering_keeps_the_hand_written_keys_and_comments(source_copy):
    before = read(os.path.join(source_copy, "default", "savedsearches.conf"))
    conf_generator.render(source_copy)
    after = read(os.path.join(source_copy, "default", "savedsearches.conf"))
    assert [line for line in after.splitlines() if line in before.splitlines()] == \
        [line for line in before.splitlines()]
    rendered = conf_generator.read_conf(os.path.join(source_copy, "default", "savedsearches.conf"))
    assert rendered["Linux Ngrok Reverse Proxy Usage"]["cron_schedule"] == "0 * * * *"
    assert rendered["Linux Ngrok Reverse Proxy Usage"]["search"].startswith("| tstats ")


def test_the_build_renders_the_built_app_only(built_app):
    # build.py calls render() on build/SA-ngrok-detection: the source keeps no generated key, the build has them.
    assert "search = | tstats" not in read(os.path.join(SOURCE_APP, "default", "savedsearches.conf"))
    assert "search = | tstats" in read(os.path.join(built_app, "default", "savedsearches.conf"))
