"""How Splunk reads what the alert action posts, emulated offline from Splunk's own configuration (used by the
alert tests and the risk_events fuzz target).

Sources (Splunk's default configuration, 8.2 to 10.x; a copy of 8.2.12's is public in the GitHub repository
Sudistark/s-diff, etc/system/default/props.conf and transforms.conf):

- props.conf ``[stash_new]``: ``SHOULD_LINEMERGE = false``, ``BREAK_ONLY_BEFORE_DATE = false``,
  ``LINE_BREAKER = (\\r?\\n==##~~##~~  1E8N3D4E6V5E7N2T9 ~~##~~##==\\r?\\n)``, ``TRUNCATE = 0`` and
  ``TRANSFORMS-sourcetype = set_sourcetype_to_stash`` (transforms.conf: ``FORMAT = sourcetype::stash``): the body
  is cut at each breaker line (the captured breaker is dropped) and every piece becomes one event of sourcetype
  ``stash``.
- props.conf ``[stash]``: ``KV_MODE = none``, ``REPORT-1 = stash_extract``; transforms.conf ``[stash_extract]``:
  ``DELIMS = ",", "="``, ``MV_ADD = true``, ``CLEAN_KEYS = false``. transforms.conf.spec on DELIMS: pairs are split
  on the first set of delimiters, key from value on the second; "an escaped double quote (\\") is ok", an
  unescaped one inside a value is not; consecutive delimiters are consumed.
- props.conf.spec on KV_MODE: ``auto`` "extracts field/value pairs separated by equal signs"; ``auto_escaped``
  does the same "and honors \\" and \\\\ as escaped sequences within quoted values". So plain ``auto`` ends a
  quoted value at the first double quote, whatever precedes it.

Where the specs leave a detail open (white space around keys, quotes in the middle of a DELIMS token), these
readers take the reading that is hardest on the writer, so a body that reads right here reads right in Splunk.
"""

import re

BREAKER = re.compile(r"\r?\n==##~~##~~  1E8N3D4E6V5E7N2T9 ~~##~~##==\r?\n")


def split_stash_new(body):
    """The events Splunk indexes from one body posted with sourcetype stash_new."""
    return [event.rstrip("\r\n") for event in BREAKER.split(body)]


def _unescape(value):
    return re.sub(r"\\(.)", r"\1", value)


def delims_pairs(event):
    """[(key, value)] as stash_extract reads an event: DELIMS "," then "=", quotes honoured, \\" and \\\\ escaped."""
    tokens, current, quoted, index = [], [], False, 0
    while index < len(event):
        char = event[index]
        if quoted and char == "\\" and index + 1 < len(event):
            current.append(event[index:index + 2])
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            tokens.append("".join(current))
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    tokens.append("".join(current))
    pairs = []
    for token in tokens:
        if "=" not in token:
            continue  # the timestamp, or consecutive delimiters
        key, _, value = token.partition("=")
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = _unescape(value[1:-1])
        pairs.append((key, value))
    return pairs


_AUTO = re.compile(r'([A-Za-z_][\w.:-]*)=(?:"([^"]*)"|([^\s,;"]*))')
_AUTO_ESCAPED = re.compile(r'([A-Za-z_][\w.:-]*)=(?:"((?:[^"\\]|\\.)*)"|([^\s,;"]*))')


def auto_pairs(event):
    """[(key, value)] as KV_MODE = auto reads an event: a quoted value ends at the next double quote."""
    return [(key, quoted if quoted or bare == "" else bare) for key, quoted, bare in _AUTO.findall(event)]


def auto_escaped_pairs(event):
    """[(key, value)] as KV_MODE = auto_escaped reads an event: \\" and \\\\ are escapes inside quoted values."""
    return [(key, _unescape(quoted) if quoted or bare == "" else bare)
            for key, quoted, bare in _AUTO_ESCAPED.findall(event)]


READERS = {"stash_extract (DELIMS)": delims_pairs, "KV_MODE=auto": auto_pairs,
           "KV_MODE=auto_escaped": auto_escaped_pairs}


def fields(pairs):
    """{key: value, or [values] for a repeated key (MV_ADD = true)}."""
    result = {}
    for key, value in pairs:
        if key in result:
            result[key] = (result[key] if isinstance(result[key], list) else [result[key]]) + [value]
        else:
            result[key] = value
    return result
