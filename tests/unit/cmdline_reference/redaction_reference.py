"""Masks secrets in command lines and messages: ngrok credentials, tunnel secrets, credentials in URLs and headers.

What is masked (the keyword is kept, so analysts still see that a secret was given):

- ngrok account credentials: ``--authtoken X``, ``--authtoken=X``, v2 ``-authtoken X``, the v2 verb
  ``authtoken X``, ``config add-authtoken X``, ``--api-key X``, ``config add-api-key X``, ``NGROK_AUTHTOKEN=X``,
  ``NGROK_API_KEY=X``;
- tunnel and API secrets: ``--basic-auth user:pass`` (v2 ``-auth``), ``--oauth-client-secret``,
  ``--oidc-client-secret``, ``--verify-webhook-secret``, and ``ngrok api``'s ``--value`` (secrets, provider keys),
  ``--private-key-pem`` and ``--precomputed-token``;
- credentials in URLs anywhere (``https://user:pass@host``: the user information; ``?token=...``: the values of
  query parameters named like a credential) and in header values (``Authorization: Bearer X``, ``X-Api-Key: X``,
  ``--request-header-add "Cookie: ..."``: headers named like a credential).

How: the text is cut into words twice, as the command-line parser reads it (ngrok_cmdline: the shell reading, where
quotes group words, and the argv reading, where only whitespace and NUL separate them), and each word list is walked
once, knowing which flags take a value. So a flag name in quotes (``"--authtoken" X``), NUL-separated argv, a
backslash-newline continuation or a redirection between keyword and secret (``authtoken > /dev/null X``) hide
nothing, while a word that is another flag's value is never taken for a keyword (``--log authtoken 3389`` keeps
3389). A value that may hold spaces and was logged unquoted (``--basic-auth admin:correct horse``) is masked up to
the next flag or shell operator. Whatever either reading finds is masked: over-masking is preferred to a leak.

Linear in the length of the text: the word patterns are single passes (ngrok_cmdline), the other patterns start at
a fixed character or at a word start and are searched without overlapping.
"""

import re

from .ngrok_cmdline_reference import SHELL_CHARACTERS, VALUE_FLAGS, plain_tokens, shell_tokens

MASK = "********"

# Flags whose value is a secret. Those in _SPACED_SECRET_FLAGS are chosen by people and may hold spaces.
_SECRET_FLAGS = frozenset("""authtoken api-key basic-auth auth oauth-client-secret oidc-client-secret
    verify-webhook-secret value private-key-pem precomputed-token""".split())
_SPACED_SECRET_FLAGS = frozenset(["basic-auth", "auth", "value", "private-key-pem"])
_POSITIONAL_KEYWORDS = frozenset(["authtoken", "add-authtoken", "add-api-key"])
_ENV_NAMES = ("ngrok_authtoken", "ngrok_api_key")
_ENV_SECRET = re.compile(r"(?<![A-Za-z0-9_])NGROK_(?:AUTHTOKEN|API_KEY)[ \t]*=[ \t]*(?P<value>[^\s\x00]+)",
                         re.IGNORECASE)
_CONTROL = re.compile(r"^[;&|]+$")
_HAS_SPACE = re.compile(r"[\s\x00]")
_DUPLICATION = re.compile(r"&-?\d*$")
# Names of headers and query parameters that carry credentials.
_CREDENTIAL_NAME = re.compile(r"auth|token|secret|passw|pwd|api[-_]?key|apikey|cookie|session|credential|signature"
                              r"|^sig$|^key$|^code$|x-amz-|x-goog-", re.IGNORECASE | re.ASCII)
# "Name:" at a word start; the value follows (see _header_spans).
_HEADER_NAME = re.compile(r"(?<![\w-])(?P<name>[A-Za-z][\w-]*)[ \t]*:[ \t]*")
_AUTH_SCHEME = re.compile(r"(?:bearer|basic|token|digest|negotiate|ntlm|apikey|key)[ \t]+", re.IGNORECASE)
_NOT_SPACE = re.compile(r"[^\s\x00]*")
# scheme://userinfo@host: the authority runs to the first / ? # or space; userinfo to its last @.
_URL_AUTHORITY = re.compile(r"[^/?#\s\x00\"'<>]*")
# ?name=value and &name=value.
_QUERY_PARAMETER = re.compile(r"[?&](?P<name>[^=&#?/\s\x00\"']+)=(?P<value>[^&#?\s\x00\"']*)")
# Values of a multivalue field are joined with this to be redacted as one text (a secret may follow its keyword
# in the next value); then split again. Quoted parts never run past its \x1e (see ngrok_cmdline.SHELL_TOKEN).
_VALUE_SEPARATOR = " \n\x1e\n "
# Substrings without which no rule can apply (a fast exit for the many texts that hold no secret).
_TRIGGERS = ("auth", "api", "secret", "token", "key", "value", "@", "pass", "pwd", "cookie", "session", "cred",
             "sig", "code", "x-amz-", "x-goog-")


def _masked(value):
    """A secret's replacement: keep its quotes so the command line still reads as written."""
    if not value:
        return MASK
    if value[0] not in "\"'":
        # X" closing an outer quote (sh -c "ngrok --authtoken X"): keep that quote.
        return MASK + value[-1] if value[-1] in "\"'" and value.count(value[-1]) % 2 else MASK
    closed = len(value) > 1 and value[-1] == value[0]
    return value[0] + MASK + (value[0] if closed else "")


def _flag_name(text):
    """(lower-case name, has '=', value) of a flag word, or None when the word is not a flag."""
    if len(text) < 2 or text[0] != "-" or text == "--":
        return None
    name, equals, value = text.lstrip("-").partition("=")
    return name.lower(), equals, value


def _after_equals(text, start, end):
    """The span of what follows the first '=' of a word (its inline value); the whole word when there is none."""
    at = text.find("=", start, end)
    return (at + 1, end) if at >= 0 else (start, end)


def _continues(raw, quoted_reading):
    """Whether a secret that may hold spaces goes on after this word: not past a quoted word in the shell
    reading (its quotes delimit it), not past a word that ends a quote in the argv reading."""
    if quoted_reading:
        return '"' not in raw and "'" not in raw
    return raw[-1] not in "\"'"


def _walk(text, tokens, quoted_reading):
    """Secret spans found by walking one reading's tokens (see the module's docstring)."""
    spans = []
    expect = None  # None, "value" (a flag's value to step over) or "secret"
    spaced = False  # a secret that may hold spaces is being read: the next plain words are part of it
    positional = False  # after authtoken/add-authtoken/add-api-key: the next plain word is the secret
    env_name = False  # after a lone NGROK_AUTHTOKEN: "=" or "=X" follows
    skip_file = False  # after "> ", "2> ", "< ": the next word is a file, not the value or secret awaited
    for start, end, is_operator, word in tokens:
        if is_operator:
            spaced = False
            if _CONTROL.match(word):
                expect, positional, env_name = None, False, False
            elif not _DUPLICATION.search(word) and (quoted_reading or word[-1] in "<>"):
                skip_file = True  # "2>/dev/null" written as one word has its file in it
            continue
        if skip_file:
            skip_file = False
            # "> --authtoken=X", "> authtoken X": more likely a keyword than a file named so; read it as one.
            if word[:1] != "-" and word.lower() not in _POSITIONAL_KEYWORDS and \
                    not word.lower().startswith(_ENV_NAMES):
                continue
        if env_name:
            env_name = False
            if word == "=":
                expect = "secret"
                continue
            if word.startswith("="):
                if len(word) > 1:
                    spans.append(_after_equals(text, start, end))
                continue
        if expect == "value":
            expect = None
            # pflag would take "--authtoken" as --log's value; a person meant the flag: mask what follows it.
            if not (word[:1] == "-" and (_flag_name(word) or ("",))[0] in _SECRET_FLAGS):
                continue
        if expect == "secret":
            raw = text[start:end]
            expect = None
            if word == "=":
                expect = "secret"  # --authtoken = X
                continue
            if not word.startswith("--") or len(word) == 2 or word.startswith("-----"):
                spans.append((start, end))  # "-x" may well be a password; "-----BEGIN" starts a PEM key
                # a\ b read without quotes: the escaped space joins the next word to the secret
                spaced = (spaced and _continues(raw, quoted_reading)) or (not quoted_reading and raw[-1] == "\\")
                continue
            spaced = False  # "--authtoken --log": the flag had no value; read this word as a flag
        flag = _flag_name(word) if word[:1] == "-" else None
        if spaced:
            raw = text[start:end]
            if flag is None:
                if spans and spans[-1][1] <= start:
                    spans[-1] = (spans[-1][0], end)  # one span for the whole spaced secret
                else:
                    spans.append((start, end))
                spaced = _continues(raw, quoted_reading)
                continue
            spaced = False
        if flag is not None:
            name, equals, value = flag
            if name in _SECRET_FLAGS:
                raw = text[start:end]
                if not equals:
                    expect, spaced = "secret", name in _SPACED_SECRET_FLAGS
                elif _after_equals(text, start, end)[0] < end:  # "--authtoken= 22": no value; 22 is a word
                    spans.append(_after_equals(text, start, end))
                    spaced = name in _SPACED_SECRET_FLAGS and _continues(raw, quoted_reading)
            elif name in VALUE_FLAGS and not equals:
                expect = "value"
            continue
        if len(word) < 9:  # shorter than every keyword and variable name
            if positional:
                positional = False
                spans.append((start, end))
            continue
        lowered = word.lower()
        if lowered.startswith(_ENV_NAMES):
            name, equals, value = lowered.partition("=")
            if name.rstrip() in _ENV_NAMES:
                if equals and value.strip():
                    spans.append(_after_equals(text, start, end))
                elif not equals:
                    env_name = True
                continue
        if lowered.endswith(_ENV_NAMES):  # "export NGROK_AUTHTOKEN" as one quoted word, then "= X"
            env_name = True
            continue
        if lowered in _POSITIONAL_KEYWORDS:
            positional = True
            continue
        if positional:
            positional = False
            spans.append((start, end))
    return spans


def _header_spans(text, spans):
    position = 0
    word_ends = None
    while True:
        match = _HEADER_NAME.search(text, position)
        if match is None:
            return
        position = match.end()
        if not _CREDENTIAL_NAME.search(match.group("name")):
            continue
        start = match.end()
        scheme = _AUTH_SCHEME.match(text, start)
        if scheme is not None:
            start = scheme.end()
        end = _NOT_SPACE.match(text, start).end()
        if word_ends is None:
            word_ends = _quoted_word_ends(text)
        # Inside a quoted word ("Authorization: Digest a=1, b=2"), the value runs to the end of that word.
        end = max(end, word_ends.get(match.start(), end))
        if end > start:
            spans.append((start, end))
        position = max(position, end)


def _quoted_word_ends(text):
    """{position: end of the shell word holding it}, for the positions inside quoted words that hold spaces."""
    ends = {}
    for start, end, is_operator, _ in shell_tokens(text):
        if not is_operator and ('"' in text[start:end] or "'" in text[start:end]):
            for match in _HEADER_NAME.finditer(text, start, end):
                ends[match.start()] = end
    return ends


def _url_spans(text, spans):
    # Every "://", also one inside another URL's authority (https://x@https://u:p@h): each authority scan stops at
    # the next "/", so the scans never overlap.
    position = text.find("://")
    while position >= 0:
        start = position + 3
        authority = _URL_AUTHORITY.match(text, start).group()
        at = authority.rfind("@")
        if at >= 0:
            spans.append((start, start + at))
        position = text.find("://", position + 1)
    if "=" in text:
        for match in _QUERY_PARAMETER.finditer(text):
            if match.group("value") and _CREDENTIAL_NAME.search(match.group("name")):
                spans.append(match.span("value"))


def secret_spans(text, _depth=0):
    """Every (start, end) of ``text`` that holds a secret, merged: spans that overlap, or that only whitespace
    (never a multivalue separator) separates, become one."""
    words = shell_tokens(text)
    spans = _walk(text, words, True)
    if SHELL_CHARACTERS.search(text):  # else both readings cut the text into the same words
        spans += _walk(text, plain_tokens(text), False)
    if _depth < 2:
        # A quoted word holding spaces is a command string (sh -c '...', parent_process): read it as a command
        # line of its own, so that its quoting (a\ b) counts. Two levels: sh -c "sudo sh -c '...'".
        for start, end, is_operator, word in words:
            if not is_operator and text[start] in "\"'" and _HAS_SPACE.search(word):
                inner_end = end - 1 if end - start > 1 and text[end - 1] == text[start] else end
                spans += [(start + 1 + a, start + 1 + b) for a, b in secret_spans(text[start + 1:inner_end], _depth + 1)]
    spans += [match.span("value") for match in _ENV_SECRET.finditer(text)]
    _header_spans(text, spans)
    _url_spans(text, spans)
    merged = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if merged and (start <= merged[-1][1] or (not text[merged[-1][1]:start].strip()
                                                  and "\x1e" not in text[merged[-1][1]:start])):
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
            continue
        merged.append((start, end))
    return merged


def redact(text):
    """Returns ``text`` with every secret masked; text without one comes back unchanged (same object)."""
    if not text:
        return text
    lowered = text.lower()
    if not any(trigger in lowered for trigger in _TRIGGERS):
        # Quotes, escapes and continuations inside a word split a keyword that the shell reading joins again
        # (--a\\uthtoken, --"api"-key, --a\\<newline>pi-key): look once more without them.
        if '"' not in text and "'" not in text and "\\" not in text:
            return text
        lowered = lowered.replace('"', "").replace("'", "").replace("\\", "").replace("\n", "").replace("\r", "")
        if not any(trigger in lowered for trigger in _TRIGGERS):
            return text
    spans = secret_spans(text)
    if not spans:
        return text
    pieces, position = [], 0
    for start, end in spans:
        pieces.append(text[position:start])
        pieces.append(_masked(text[start:end]))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def redact_values(values):
    """Redacts the values of a multivalue field together, so that ``["--authtoken", "X"]`` masks X too."""
    if len(values) < 2 or any(_VALUE_SEPARATOR in value for value in values):
        return [redact(value) for value in values]
    joined = _VALUE_SEPARATOR.join(values)
    masked = redact(joined)
    if masked is joined:
        return values
    split = masked.split(_VALUE_SEPARATOR)
    # A quote left open in one value must not merge values: then mask each value on its own.
    return split if len(split) == len(values) else [redact(value) for value in values]
