"""The pure core's fuzz targets: each takes raw bytes, exercises one part of the package and checks what must
always hold. An exception other than the documented ones is a finding.

Used by scripts/fuzz.py (coverage-guided, atheris) and by tests/robustness/test_fuzz_regressions.py, which replays
every input the fuzzer ever found (tests/robustness/fuzz_regressions/) so that each finding stays fixed.
The package is imported from the built app (build/SA-ngrok-detection/bin), as every test does.
"""

import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILT_BIN = os.path.join(ROOT, "build", "SA-ngrok-detection", "bin")
if BUILT_BIN not in sys.path:
    sys.path.insert(0, BUILT_BIN)

from sa_ngrok_detection import allowlist, identity, modifiers, ngrok_cmdline, options, redaction, template  # noqa: E402
from sa_ngrok_detection import risk_events as risk_event_writer  # noqa: E402

import stash_readers  # noqa: E402  (scripts/, next to this file)

_TOKEN = re.compile(r"[A-Za-z0-9_]{12,64}\Z")  # \Z, not $: "$" also matches before a final newline
_LOOKUP_DIR = tempfile.mkdtemp(prefix="ngrok-fuzz-lookups-")


def _text(data):
    return data.decode("utf-8", "replace")


def cmdline(data):
    """parse_all() never raises and its facts are consistent; whatever follows ``ngrok tcp 22``, the line still
    opens a tunnel to port 22 and is never read as informational (issue 9 items 3 and 4)."""
    line = _text(data)
    found = ngrok_cmdline.parse_all(line)
    for invocation in found:
        assert isinstance(invocation, ngrok_cmdline.NgrokInvocation)
        assert invocation.target_port == "" or (invocation.target_port.isdigit()
                                                 and int(invocation.target_port) <= 65535)
        assert invocation.action.startswith(invocation.subcommand)
    assert ngrok_cmdline.parse(line) == (found[0] if found else ngrok_cmdline.EMPTY)
    assert all(isinstance(word, str) for word in ngrok_cmdline.split_words(line))
    tunnel = ngrok_cmdline.parse_all("ngrok tcp 22 " + line)
    assert (tunnel[0].subcommand, tunnel[0].target_port) == ("tcp", "22"), (line, tunnel)
    assert not [i for i in tunnel if i.action in ngrok_cmdline.INFORMATIONAL_ACTIONS], (line, tunnel)


# Every spelling of a secret the redactor must mask: the token goes where %s is.
_SECRET_FORMS = ("--authtoken %s", "--authtoken=%s", "NGROK_AUTHTOKEN=%s", "config add-authtoken %s",
                 '"--authtoken" %s', "'--api-key' %s", "-authtoken\x00%s", "authtoken > /dev/null %s",
                 "--authtoken \\\n%s", "https://u:%s@host", "Authorization: Bearer %s",
                 "--traffic-policy-url https://x/p?token=%s", "--basic-auth u:%s", "--value=%s")


def redact(data):
    """A token after any secret keyword, in any spelling, never survives redaction, whatever surrounds it."""
    text = _text(data)
    parts = text.split("\x01", 2)
    masked = redaction.redact(text)
    assert isinstance(masked, str)
    if len(parts) == 3 and _TOKEN.match(parts[1]):
        prefix, token, suffix = parts[0].replace("\x01", ""), parts[1], parts[2].replace("\x01", "")
        form = _SECRET_FORMS[len(prefix) % len(_SECRET_FORMS)]
        # A keyword is one where a command can start: as another flag's value ("--log authtoken 3389") it is not.
        separator = " ; " if form.startswith(("authtoken", "config", "NGROK")) else " "
        line = prefix + separator + form % token + " " + suffix
        if token not in prefix + " " + suffix:  # else the token is also ordinary text on the line
            assert token not in redaction.redact(line), line


def render(data):
    """One pass: values are never expanded, whatever they contain; placeholders (null, -, N/A ...) show as unknown."""
    text = _text(data)
    template_text, _, value = text.partition("\x01")
    rendered = template.render(template_text, lambda name: value)
    expected = "".join(literal + (identity.shown(value) if field is not None else "")
                       for literal, field in template.split_template(template_text))
    assert rendered == expected


def _write(data, name):
    with open(os.path.join(_LOOKUP_DIR, name), "wb") as handle:
        handle.write(data)


def allowlist_file(data):
    """Any bytes as the allowlist: never raises; refused entries are reported, never silently kept."""
    _write(b"dest,user,parent_process_name,process,reason,owner,expires\n" + data, "fuzz_allowlist.csv")
    table = allowlist.load("fuzz_allowlist.csv", lookups_dir=_LOOKUP_DIR)
    for entry in table.entries:
        assert entry.reason and entry.patterns
        # Refused like the all-empty entry: every pattern made only of '*' and spaces.
        assert not all(not pattern.text.replace("*", " ").strip() for _, pattern in entry.patterns)


def modifiers_file(data):
    """Any bytes as the modifier table: never raises; every kept modifier is valid."""
    _write(b"modifier,field,patterns,score,reason,enabled\n" + data, "fuzz_modifiers.csv")
    table = modifiers.load("fuzz_modifiers.csv", lookups_dir=_LOOKUP_DIR)
    for modifier in table.modifiers:
        assert -100 <= modifier.score <= 100 and modifier.reason and modifier.patterns


def option_values(data):
    """validate() either accepts or raises OptionError, never anything else."""
    text = _text(data)
    names = options.OPTION_NAMES
    given = {names[index % len(names)]: part for index, part in enumerate(text.split("\x01")[:len(names)])}
    try:
        settings = options.validate(given)
    except options.OptionError:
        return
    assert 0 <= settings.impact <= 100 and 0 <= settings.confidence <= 100
    assert settings.allowlist is None or "/" not in settings.allowlist and ".." not in settings.allowlist


_ROW_FIELDS = ("dest", "user", "parent_process_name", "process_name", "process", "risk_message", "ngrok_target",
               "risk_score")


def risk_events(data):
    """Any text in any result field: each risk event is one indexed event and reads the same, with exactly the
    fields written, under Splunk's stash_new breaker and every key-value extraction (DELIMS, auto, auto_escaped)."""
    parts = _text(data).split("\x01")
    row = {}
    for index, part in enumerate(parts[:2 * len(_ROW_FIELDS)]):
        field = _ROW_FIELDS[index % len(_ROW_FIELDS)]
        row[field] = [row[field], part] if field in row else part  # a second value makes a multivalue field
    builder = risk_event_writer.RiskEventBuilder(parts[-1] if len(parts) > 1 else "", parts[0], 50)
    events = builder.events(row, 0)
    if not events:
        return
    body = risk_event_writer.stash_body([risk_event_writer.stash_text(e, 0).encode("utf-8") for e in events])
    raw_events = stash_readers.split_stash_new(body.decode("utf-8"))
    assert len(raw_events) == len(events)
    for event, raw in zip(events, raw_events):
        intended = [(key, item) for key, value in event for item in (value if isinstance(value, list) else [value])]
        for reader in stash_readers.READERS.values():
            assert reader(raw) == intended


TARGETS = {
    "cmdline": cmdline,
    "redact": redact,
    "render": render,
    "allowlist": allowlist_file,
    "modifiers": modifiers_file,
    "options": option_values,
    "risk_events": risk_events,
}
