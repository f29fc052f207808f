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
from bisect import bisect_left, bisect_right
from itertools import compress, count, islice, repeat
from operator import contains, itemgetter, le, methodcaller, or_, sub

from .ngrok_cmdline import VALUE_FLAGS, _holds_shell_character, _when_needed, plain_tokens, shell_tokens

MASK = "********"

# Flags whose value is a secret. Those in _SPACED_SECRET_FLAGS are chosen by people and may hold spaces.
_SECRET_FLAGS = frozenset("""authtoken api-key basic-auth auth oauth-client-secret oidc-client-secret
    verify-webhook-secret value private-key-pem precomputed-token""".split())
_SPACED_SECRET_FLAGS = frozenset(["basic-auth", "auth", "value", "private-key-pem"])
_POSITIONAL_KEYWORDS = frozenset(["authtoken", "add-authtoken", "add-api-key"])
_ENV_NAMES = ("ngrok_authtoken", "ngrok_api_key")
_ENV_SECRET = re.compile(r"(?<![A-Za-z0-9_])NGROK_(?:AUTHTOKEN|API_KEY)[ \t]*=[ \t]*(?P<value>[^\s\x00]+)",
                         re.IGNORECASE)
_HAS_SPACE = re.compile(r"[\s\x00]")
_DUPLICATION = re.compile(r"&-?\d*$")
# Names of headers and query parameters that carry credentials: a name holding one of these (any ASCII letter case),
# or a name that is sig, key or code. ASCII letter case only ((?ai:...), not (?i:...), which folds Unicode: the long
# s matches s, the Kelvin sign k): so a name matches exactly when its str.lower() holds the word, as _TRIGGERS
# assume (a name like "\u017fession" is masked nowhere, rather than only when an unrelated trigger word is present).
# Each pattern below looks for them ahead of a name (a look-ahead that scans the name once), so that a text of many
# other names needs no Python step per name. Linear: a look-ahead starts only where a
# name starts (at a word start, or after ? or &) and stays inside that name.
# (auth|token|secret|passw|pwd|api[-_]?key|apikey|cookie|session|credential|signature|x-amz-|x-goog-, grouped by
# first letter so that a position is ruled out in a few comparisons).
_CREDENTIAL_WORDS = r"a(?:uth|pi[-_]?key)|t(?:oken)|s(?:ecret|ession|ignature)|p(?:assw|wd)|c(?:ookie|redential)" \
                    r"|x-(?:amz|goog)-"
# "Name:" at a word start, with a credential name; the value follows (see _header_spans).
_HEADER_START = r"(?<![\w-])(?=[A-Za-z][\w-]*[ \t]*:)(?=[\w-]*?(?ai:%s)|(?ai:sig|key|code)[ \t]*:)" % _CREDENTIAL_WORDS
_CREDENTIAL_HEADER = _when_needed(_HEADER_START + r"(?P<name>[A-Za-z][\w-]*)[ \t]*:[ \t]*")
_AUTH_SCHEME_WORDS = r"(?i:bearer|basic|token|digest|negotiate|ntlm|apikey|key)[ \t]+"
_AUTH_SCHEME = _when_needed(_AUTH_SCHEME_WORDS)
# The same with its value: an auth scheme when one follows, then the value up to whitespace, as _header_spans reads
# it step by step (the optional scheme is taken whenever it matches: the value after it always matches, maybe
# empty). Linear: the scheme's words are bounded and end in [ \t]+, with which the value cannot start.
_CREDENTIAL_HEADER_VALUE = _when_needed(_HEADER_START + r"[A-Za-z][\w-]*[ \t]*:[ \t]*(?:%s)?(?P<value>[^\s\x00]*)"
                                      % _AUTH_SCHEME_WORDS)
_NOT_SPACE = re.compile(r"[^\s\x00]*")
# "://" and the authority's user information, up to its last "@" (the authority stops at / ? # space or a quote).
_URL_USERINFO = re.compile(r"://([^/?#\s\x00\"'<>]*)@")
# ?name=value and &name=value, with a credential name.
_CREDENTIAL_PARAMETER = _when_needed(r"[?&](?=[^=&#?/\s\x00\"']*?(?ai:%s)|(?ai:sig|key|code)=)"
                                   r"(?P<name>[^=&#?/\s\x00\"']+)=(?P<value>[^&#?\s\x00\"']+)" % _CREDENTIAL_WORDS)
_VALUE_SPAN = methodcaller("span", "value")
_START = methodcaller("start")
# Values of a multivalue field are joined with this to be redacted as one text (a secret may follow its keyword
# in the next value); then split again. Quoted parts never run past its \x1e (see the shell reading's patterns in
# ngrok_cmdline).
_VALUE_SEPARATOR = " \n\x1e\n "
# Substrings without which no rule can apply (a fast exit for the many texts that hold no secret): one in every
# secret flag, keyword, variable name, "@" and credential name above (x-amz-, x-goog-: header and parameter names).
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


def _walk(text, tokens, quoted_reading, positions=None, ended=None):
    """Secret spans found by walking one reading's tokens (see the module's docstring). With ``positions`` (of
    _MAY_MATTER's and _KEYWORD's matches in ``text``), the tokens that change nothing while no keyword, flag or
    operator is being read are stepped over in one step each run, not looked at one by one. ``ended``: a list, to
    which the walk appends whether nothing was being read after the last token (see _covered_command_strings)."""
    candidates = _candidates(tokens, positions) if positions is not None else None
    if candidates is not None:
        looked = 0  # the index in candidates of the next token the walk must look at
        unlooked = len(candidates)
    spans = []
    expect = None  # None, "value" (a flag's value to step over) or "secret"
    spaced = False  # a secret that may hold spaces is being read: the next plain words are part of it
    positional = False  # after authtoken/add-authtoken/add-api-key: the next plain word is the secret
    env_name = False  # after a lone NGROK_AUTHTOKEN: "=" or "=X" follows
    skip_file = False  # after "> ", "2> ", "< ": the next word is a file, not the value or secret awaited
    stops = None  # positions of the tokens that can end a spaced secret (found when one is first read)
    flag_words = {}  # flag word -> (lower-case name, "=" or "")
    # Met while nothing is being read, a word that is not an operator takes the same step wherever it stands: the
    # step below then reads nothing but the word (its position only for the spans these words never append). So
    # the walk remembers, where it works a word's step out: words that change nothing then (inert), and words that
    # start reading something (secret and value flags without "=", keywords) -> the (expect, spaced, positional,
    # env_name) they leave; a repeated one then takes its step in one check. Only in a long walk: a short one
    # repeats few words, and pays nothing for this.
    inert = set() if len(tokens) >= _INERT_FROM else None
    starts_reading = {}
    watching = candidates is not None or inert is not None
    walking = enumerate(tokens)
    for at, (start, end, is_operator, word) in walking:
        if watching and expect is None and not (spaced or positional or env_name or skip_file):
            if inert is not None and not is_operator:
                if word in inert:
                    continue
                state = starts_reading.get(word)
                if state is not None:
                    expect, spaced, positional, env_name = state
                    continue
            if candidates is not None:
                # Nothing being read: up to the next candidate, no token changes anything (see _MAY_MATTER).
                if looked < unlooked and candidates[looked] < at:
                    looked = bisect_left(candidates, at, looked)
                if looked == unlooked:
                    break
                if candidates[looked] > at:
                    if candidates[looked] > at + 1:  # step over the tokens before it (islice yields the last)
                        next(islice(walking, candidates[looked] - at - 2, None), None)
                    continue
        if is_operator:
            spaced = False
            if not word.strip(";&|"):  # only ; & | characters: ends one command, starts the next
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
            expect = None
            if word == "=":
                expect = "secret"  # --authtoken = X
                continue
            if not word.startswith("--") or len(word) == 2 or word.startswith("-----"):
                spans.append((start, end))  # "-x" may well be a password; "-----BEGIN" starts a PEM key
                # a\ b read without quotes: the escaped space joins the next word to the secret
                spaced = (spaced and _continues(text[start:end], quoted_reading)) or \
                    (not quoted_reading and text[end - 1] == "\\")
                continue
            spaced = False  # "--authtoken --log": the flag had no value; read this word as a flag
        is_flag = word[:1] == "-" and len(word) > 1 and word != "--"  # as _flag_name, inline: the hot path
        if spaced:
            if not is_flag:
                raw = text[start:end]
                if spans and spans[-1][1] <= start:
                    spans[-1] = (spans[-1][0], end)  # one span for the whole spaced secret
                else:
                    spans.append((start, end))
                spaced = _continues(raw, quoted_reading)
                if spaced:
                    # Every word up to the next one that may end the secret (an operator, a flag, a quote) joins
                    # it as this one did: take them in one step.
                    if stops is None:
                        stops = _spaced_stops(text, tokens, candidates)
                    following = bisect_left(stops, at + 1)
                    following = stops[following] if following < len(stops) else len(tokens)
                    if following > at + 1:
                        spans[-1] = (spans[-1][0], tokens[following - 1][1])
                        next(islice(walking, following - at - 2, None), None)  # step over them
                continue
            spaced = False
        if is_flag:
            read = flag_words.get(word)  # a flag word is read once however often it is repeated
            if read is None:
                name, equals, _ = word.lstrip("-").partition("=")
                read = flag_words[word] = (name.lower(), equals)
                if inert is None:
                    pass
                elif read[0] in _SECRET_FLAGS:
                    if not equals:
                        starts_reading[word] = ("secret", read[0] in _SPACED_SECRET_FLAGS, False, False)
                elif read[0] in VALUE_FLAGS and not equals:
                    starts_reading[word] = ("value", False, False, False)
                else:
                    inert.add(word)  # a flag that is neither a secret's nor takes a value: read, then nothing
            name, equals = read
            if name in _SECRET_FLAGS:
                if not equals:
                    expect, spaced = "secret", name in _SPACED_SECRET_FLAGS
                else:
                    value_span = _after_equals(text, start, end)
                    if value_span[0] < end:  # "--authtoken= 22": no value; 22 is a word
                        spans.append(value_span)
                        spaced = name in _SPACED_SECRET_FLAGS and _continues(text[start:end], quoted_reading)
            elif name in VALUE_FLAGS and not equals:
                expect = "value"
            continue
        if len(word) < 9:  # shorter than every keyword and variable name
            if positional:
                positional = False
                spans.append((start, end))
            if inert is not None:
                inert.add(word)  # not an operator, nor a flag: when nothing is being read, it changes nothing
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
            if inert is not None:
                starts_reading[word] = (None, False, True, False)
            continue
        if positional:
            positional = False
            spans.append((start, end))
        if inert is not None:
            inert.add(word)  # nor a keyword or variable name: the same
    if ended is not None:  # a walk that stops early (no candidate left) reads nothing then
        ended.append(expect is None and not (spaced or positional or env_name or skip_file))
    return spans


# Walks over at least this many tokens remember their inert words (see _walk).
_INERT_FROM = 64


# Where a token that may change the walk's state when nothing is being read can be (see _walk): a redirection
# (< or >), a flag (a dash starting a word: after whitespace, NUL, an operator character or the text's start), a
# quote or a backslash (unquoting may make a flag or keyword of a word), and (_KEYWORD, in the lower-cased text) a
# keyword or variable name: ngrok_, authtoken, add-api-key. Every other token is a plain word without one or an
# operator of ; & | only, which changes nothing then: the walk steps over them. Linear: single characters, a
# two-character look-behind; fixed words that start with different letters.
_MAY_MATTER = _when_needed(r"""-(?<![^\s\x00;&|<>]-)|["'\\<>]""")
_KEYWORD = _when_needed(r"ngrok_|a(?:uthtoken|dd-api-key)")
_NOWHERE = float("inf")
_CONTROL_CHARACTER = re.compile(r"[;&|]")


def _may_matter(text, token_count):
    """The positions of _MAY_MATTER's and _KEYWORD's matches, or None when they are too many for stepping over
    tokens to pay (counts of characters and words say so for most dense texts before any scan), or when the tokens
    are so few that looking at each costs less than a scan."""
    if token_count < 16:
        return None
    budget = token_count // 4
    others = text.count('"') + text.count("'") + text.count("\\") + text.count("<") + text.count(">")
    if others > budget:
        return None
    dashes = "-" in text
    if dashes:  # flags, mostly: a dash after the usual separators (an estimate; the scan below counts exactly)
        others += text.count(" -") + text.count("\t-") + text.count("\n-") + text.count("\x00-")
        if others > budget:
            return None
    lowered = text.lower()
    keywords = lowered.count("ngrok_") + lowered.count("authtoken") + lowered.count("add-api-key")
    if others + keywords > budget:
        return None
    positions = list(map(_START, _MAY_MATTER().finditer(text))) if dashes or others else []
    if keywords:
        # str.lower() maps one character to one (so positions agree) except U+0130, which becomes i and a dot;
        # only the Kelvin sign becomes an ASCII letter from outside ASCII, so the words' lower() find the same.
        if len(lowered) != len(text):
            return None
        positions += map(_START, _KEYWORD().finditer(lowered))
        positions.sort()
    return positions if len(positions) <= budget else None


def _nothing_to_walk(text):
    """True when no token of ``text`` can matter to the walks (_MAY_MATTER, _KEYWORD) and no word is quoted. The
    characters are looked for one by one first (each a C-level search), the pattern only for a dash."""
    if '"' in text or "'" in text or "\\" in text or "<" in text or ">" in text:
        return False
    lowered = text.lower()
    if "ngrok_" in lowered or "authtoken" in lowered or "add-api-key" in lowered:
        return False
    return "-" not in text or _MAY_MATTER().search(text) is None


def _candidates(tokens, positions):
    """The sorted indexes of the tokens holding the given positions (the token starting at or before each)."""
    found = map(sub, map(bisect_right, repeat(tokens), zip(positions, repeat(_NOWHERE))), repeat(1))
    return list(dict.fromkeys(found))


def _spaced_stops(text, tokens, candidates=None):
    """The positions of the tokens that a spaced secret does not simply run through: operators, words starting
    with a dash (flags), words holding a quote (the reading may end the secret there)."""
    if candidates is not None:
        # Each is a candidate of the walk (see _MAY_MATTER) or an operator holding ; & or |: look at those only.
        if _CONTROL_CHARACTER.search(text):
            controls = _candidates(tokens, list(map(_START, _CONTROL_CHARACTER.finditer(text))))
            candidates = sorted(set(candidates).union(controls))
        return [at for at in candidates if at >= 0 and (
            tokens[at][2] or tokens[at][3][:1] == "-" or '"' in text[tokens[at][0]:tokens[at][1]]
            or "'" in text[tokens[at][0]:tokens[at][1]])]
    # By C-level iteration over the tokens' fields (no Python step per token).
    stop = map(or_, map(itemgetter(2), tokens), map(str.startswith, map(itemgetter(3), tokens), repeat("-")))
    if '"' in text or "'" in text:
        raws = list(map(text.__getitem__, map(slice, map(itemgetter(0), tokens), map(itemgetter(1), tokens))))
        stop = map(or_, map(or_, stop, map(contains, raws, repeat('"'))), map(contains, raws, repeat("'")))
    return list(compress(count(), stop))


def _header_spans(text, spans):
    if '"' not in text and "'" not in text:
        # No quoted word, so every value ends at whitespace: one scan, the spans taken by C-level iteration (an
        # empty value gives an empty span, which secret_spans drops).
        spans += map(_VALUE_SPAN, _CREDENTIAL_HEADER_VALUE().finditer(text))
        return
    position = 0
    word_ends = None
    while True:
        match = _CREDENTIAL_HEADER().search(text, position)
        if match is None:
            return
        position = match.end()
        start = match.end()
        scheme = _AUTH_SCHEME().match(text, start)
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
            for match in _CREDENTIAL_HEADER().finditer(text, start, end):
                ends[match.start()] = end
    return ends


def _url_spans(text, spans):
    # Every "://", also one inside another URL's authority (https://x@https://u:p@h): an authority stops at the
    # next "/", so no "://" lies inside a match and the matches never overlap.
    spans += [match.span(1) for match in _URL_USERINFO.finditer(text)]
    if "=" in text:
        # Only parameters with a value match (no name holds ? or &: skipping an empty one finds the same next ones).
        spans += map(_VALUE_SPAN, _CREDENTIAL_PARAMETER().finditer(text))


# Distinct command strings (sh -c '...') read as command lines of their own in one text. A real command line holds a
# few; a hostile one can hold tens of thousands, each costing Python walks (about 100,000 instructions: with 1,000
# read, 250 KB of different nested command strings cost 782 M instructions; with 100, 690 M).
COMMAND_STRINGS_READ = 100


def _quoted_words(text, tokens):
    """The tokens whose text starts with a quote, chosen by C-level iteration (most tokens do not)."""
    if '"' not in text and "'" not in text:
        return ()
    firsts = map(text.__getitem__, map(itemgetter(0), tokens))
    return compress(tokens, map(contains, repeat("\"'"), firsts))


def _covered_command_strings(text, quoted, argv_tokens, positions):
    """The starts of the command strings of ``text`` (quoted words holding spaces; ``quoted``: the quoted words of
    its shell reading) whose words the argv reading's walk reads as the command string's own walk would (see
    secret_spans): the command string holds no quote, escape or operator character (its own reading is one walk of
    its words cut at whitespace and NUL); whitespace, NUL or the text's ends come right before its opening quote
    and right after its closing quote (so the argv reading cuts the same words there, the first holding the opening
    quote, the last the closing one, or each quote alone); and that walk reads nothing as it comes to it, found by
    walking the tokens before it, which is done only when they are fewer characters than the string (so this costs
    less than the string's own walk, and all of it at most a walk of the text)."""
    covered = set()
    last = len(text) - 1
    # Only long command strings (a short one's own walk costs less than this look): chosen by C-level iteration.
    for start, end, _, word in compress(quoted, map(le, repeat(_COVERED_FROM), map(len, map(
            itemgetter(3), quoted)))):  # never an operator: none starts with a quote
        if start and not (text[start - 1].isspace() or text[start - 1] == "\x00"):
            continue
        if end <= last and not (text[end].isspace() or text[end] == "\x00"):
            continue
        inner_end = end - 1 if end - start > 1 and text[end - 1] == text[start] else end
        # No quote, escape or operator character in it (SHELL_CHARACTERS), looked for one by one: a C-level search
        # each, which costs less than one pattern scan of a long string.
        if start > inner_end - start or \
                any(text.find(character, start + 1, inner_end) >= 0 for character in "\"'\\;&|<>") or \
                not _HAS_SPACE.search(word):
            continue
        at = bisect_left(argv_tokens, (start,))
        if at < len(argv_tokens) and argv_tokens[at][0] == start:
            ended = []
            _walk(text, argv_tokens[:at], False, positions, ended)
            if ended[0]:
                covered.add(start)
    return covered


class _ScansOnly(list):
    """A command string's spans found without walking its words, which the argv reading's walk read as they are
    where that string was met (see secret_spans)."""


# Command strings at least this long have their walks replaced by the argv reading's walk where they can be (see
# secret_spans); for shorter ones the look costs more than it saves.
_COVERED_FROM = 1000


def secret_spans(text, _depth=0, _inner=None, _walked=True):
    """Every (start, end) of ``text`` that holds a secret, merged: spans that overlap, or that only whitespace
    (never a multivalue separator) separates, become one."""
    if _inner is None:
        # For each depth of the text holding them, command string -> its spans: a line that repeats one string
        # reads it once.
        _inner = ({}, {})
    covered = ()  # starts of the command strings whose walk the argv reading's walk stands for
    quoted = ()  # the quoted words of the shell reading: command strings if they hold spaces
    if not _walked or _nothing_to_walk(text):
        # No token can change the walks' state, and no word is quoted: neither reading can find anything, so
        # neither is made (a line of 100,000 query parameters or header names costs no word list). Or (not
        # _walked) a command string whose words were walked as part of the text holding it.
        words, spans = (), []
    else:
        words = shell_tokens(text)
        positions = _may_matter(text, len(words))
        spans = _walk(text, words, True, positions)
        if _depth < 2:
            quoted = list(_quoted_words(text, words))
        if _holds_shell_character(text):  # else both readings cut the text into the same words
            argv_tokens = plain_tokens(text)
            spans += _walk(text, argv_tokens, False, positions)
            if quoted and len(text) > _COVERED_FROM:
                covered = _covered_command_strings(text, quoted, argv_tokens, positions)
    if quoted:
        # A quoted word holding spaces is a command string (sh -c '...', parent_process): read it as a command
        # line of its own, so that its quoting (a\ b) counts. Two levels: sh -c "sudo sh -c '...'".
        memory = _inner[_depth]
        for start, end, _, word in quoted:  # never an operator: none starts with a quote
            if " " in word or _HAS_SPACE.search(word):  # most hold a space: no pattern call then
                inner_end = end - 1 if end - start > 1 and text[end - 1] == text[start] else end
                inner = text[start + 1:inner_end]
                found = memory.get(inner)
                if found is None or (type(found) is _ScansOnly and start not in covered):
                    if found is not None or len(_inner[0]) + len(_inner[1]) < COMMAND_STRINGS_READ:
                        # Where the argv reading's walk was reading nothing as it came to this command string, it
                        # walked the string's words in the same states as the string's own walk, with spans at
                        # least as wide (the quotes are in its words): what that walk finds is found already.
                        # A string read so once is read in full where it is met otherwise (counted once).
                        found = _ScansOnly(secret_spans(inner, _depth + 1, _inner, False)) if start in covered \
                            else secret_spans(inner, _depth + 1, _inner)
                    else:
                        # Past the limit a command string is not read word by word: masked whole when any rule
                        # could apply to it (over-masking, never a leak), kept as it is otherwise.
                        found = [(0, len(inner))] if _may_hold_secret(inner) else []
                    memory[inner] = found
                if len(found) == 1:  # the usual case, without a list comprehension's call
                    a, b = found[0]
                    spans.append((start + 1 + a, start + 1 + b))
                elif found:
                    spans += [(start + 1 + a, start + 1 + b) for a, b in found]
    # Each scan only where it can match (a scan of a long text costs tens of milliseconds even when it finds
    # nothing): NGROK_ in any letter case (str.lower maps every character that matches n, g, r, o or k without
    # regard to case to that letter, the Kelvin sign included), a colon after a header name.
    if "ngrok_" in text.lower():
        spans += [match.span("value") for match in _ENV_SECRET.finditer(text)]
    if ":" in text:
        _header_spans(text, spans)
    _url_spans(text, spans)
    merged = []
    first, last = 0, -1  # the span being merged; none yet
    for start, end in sorted(spans):
        if start >= end:
            continue
        if last >= 0:
            if start <= last:
                if end > last:
                    last = end
                continue
            gap = text[last:start]
            if not gap.strip() and "\x1e" not in gap:
                last = end
                continue
            merged.append((first, last))
        first, last = start, end
    if last >= 0:
        merged.append((first, last))
    return merged


def _may_hold_secret(text):
    """False when no rule can apply to ``text`` (a fast exit for the many texts that hold no secret)."""
    lowered = text.lower()
    if any(map(lowered.__contains__, _TRIGGERS)):  # C-level iteration: asked for every distinct text
        return True
    # Quotes, escapes and continuations inside a word split a keyword that the shell reading joins again
    # (--a\\uthtoken, --"api"-key, --a\\<newline>pi-key): look once more without them.
    if '"' not in text and "'" not in text and "\\" not in text:
        return False
    lowered = lowered.replace('"', "").replace("'", "").replace("\\", "").replace("\n", "").replace("\r", "")
    return any(map(lowered.__contains__, _TRIGGERS))


def may_hold_secret(text):
    """_may_hold_secret, remembered for the last text asked here: the command asks before parsing a line
    (ngrok_cmdline.parse_all's redact_next), then redact() reads the answer for the same line (it only reads the
    memory: the short texts it masks in between, such as the shown subcommand and target, do not replace it)."""
    if _last_asked[0] is not text:
        _last_asked[:] = [text, bool(text) and _may_hold_secret(text)]
    return _last_asked[1]


_last_asked = [None, False]


def redact(text):
    """Returns ``text`` with every secret masked; text without one comes back unchanged (same object)."""
    if not text or not (_last_asked[1] if _last_asked[0] is text else _may_hold_secret(text)):
        return text
    spans = secret_spans(text)
    if not spans:
        return text
    pieces, position = [], 0
    append = pieces.append
    for start, end in spans:
        append(text[position:start])
        append(_masked(text[start:end]))
        position = end
    append(text[position:])
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
