"""Understands an ngrok command line: which verb ran, what the tunnel exposes, which files and secrets it names.

Works for ngrok agent v3 (``--long`` flags) and the legacy v2 syntax (``-flag``), with the binary named ``ngrok``
or anything else (a renamed binary is the first word after any launchers), with launchers such as ``nohup``,
``sudo -u www``, ``screen -dmS x`` or ``sh -c "..."`` in front of it, and with shell syntax around it. Never
raises: a command line it cannot make sense of yields empty facts.

A process command line is read two ways, because collectors write it two ways. Sysmon for Linux and most EDRs log
the process's argv joined with spaces and unquoted, so ``--metadata "R&D"`` arrives as ``--metadata R&D`` and a
``;`` or ``>`` inside a value is just a character (the *argv reading*: words split at whitespace and NUL only).
Shell history, ``sh -c`` strings and collectors that quote arguments need the *shell reading* (quotes group words,
``;``/``&&``/``|`` separate commands, ``> file`` is a redirection). ``parse_all`` returns the facts of both
readings, so a value can neither hide the tunnel's target nor turn a tunnel into an informational command.

Every regular expression here is linear in the length of the text: each is a single pass of alternatives that
start with different characters (no nested, overlapping quantifiers), so no input makes them backtrack.
"""

import re
from bisect import bisect_left
from collections import deque, namedtuple
from itertools import accumulate, chain, compress, count, repeat
from operator import add, and_, contains, itemgetter, ne, not_, or_, sub

NgrokInvocation = namedtuple(
    "NgrokInvocation",
    [
        "subcommand",  # the ngrok verb: tcp, http, tls, start, service, config, authtoken, version, help, ...
        "action",  # verb plus its action word where it has one: "service install", "config check"; else the verb
        "target",  # what the tunnel exposes, as written: "22", "localhost:8080"; "" when none
        "target_port",  # the port of the target as digits, "" when none can be told
        "arguments",  # verb, its words, then every flag spelled --name (secrets still in: redact before showing)
        "paths",  # tuple: binary path when it has a directory, then every --config file
        "has_authtoken",  # True when an authtoken or API key is written on the command line
    ],
)

EMPTY = NgrokInvocation("", "", "", "", "", (), False)


def _when_needed(source):
    """A pattern compiled at its first use: start-up pays only for the patterns its rows need (a command line
    without quotes, escapes or operators never needs the shell reading's patterns)."""
    compiled = []

    def pattern():
        if not compiled:
            compiled.append(re.compile(source))
        return compiled[0]
    return pattern

# Launchers that run the next word as a command, with their options that take a separate value.
_LAUNCHERS = {
    "sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"},
    "doas": {"-u", "-C"},
    "runuser": {"-u", "-g", "-G"},
    "su": {"-g", "-G", "-s", "-w"},
    "nohup": set(),
    "setsid": set(),
    "exec": {"-a"},
    "env": {"-u", "-C", "-S", "--unset", "--chdir"},
    "nice": {"-n", "--adjustment"},
    "ionice": {"-c", "-n", "-p", "-P", "-u"},
    "stdbuf": {"-i", "-o", "-e"},
    "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "screen": {"-S", "-c", "-e", "-h", "-p", "-s", "-T", "-t", "-X"},
    "tmux": {"-L", "-S", "-f", "-c", "-s", "-n", "-t"},
    "daemonize": {"-a", "-c", "-e", "-o", "-p", "-l", "-u", "-E"},
    "busybox": set(),
    "chroot": set(),
    "xargs": {"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s"},
}
_SHELLS = frozenset(["sh", "bash", "dash", "zsh", "ash", "ksh"])

# The agent's verbs, v3 and v2 (ngrok's CLI reference: https://ngrok.com/docs/agent/cli/, and the v2 agent's
# help): a word of the command line that is one of these is the verb even when a multi-word flag value came first.
VERBS = frozenset("""http tcp tls tunnel start service config api authtoken completion credits diagnose update
    version help""".split())


def _letter_cases(word):
    if not word:
        return [""]
    rest = _letter_cases(word[1:])
    return [first + tail for first in {word[0], word[0].upper()} for tail in rest]


def _any_case_verbs():
    """Every verb in every letter case, so that a word is looked up without lower-casing it (ngrok accepts TCP too):
    about 2,500 words, made when first needed (a line whose first word is not a verb), not at start-up."""
    if not _ANY_CASE_VERBS:
        _ANY_CASE_VERBS.append(frozenset(variant for verb in VERBS for variant in _letter_cases(verb)))
    return _ANY_CASE_VERBS[0]


_ANY_CASE_VERBS = []
# Verbs whose first positional word is the tunnel's target (tunnel: v3 labeled tunnels, `tunnel --label k=v 22`).
TUNNEL_VERBS = frozenset(["tcp", "http", "tls", "tunnel"])
# Verbs that open tunnels (start: by name or --all; service: runs `start --all` as a service). A line whose verb is
# one of these is never turned into "help" or "version" by a later word: the word may sit inside a flag value
# that Sysmon logged unquoted (`--log "/tmp/.l -h"` arrives as `--log /tmp/.l -h`).
OPENING_VERBS = TUNNEL_VERBS | {"start", "service"}
# Verbs whose first positional word is an action ("service install", "config check").
ACTION_VERBS = frozenset(["service", "config", "api"])
# ngrok commands that open nothing: on a line that also opens a tunnel they do not count.
INFORMATIONAL_ACTIONS = frozenset(["help", "version", "update", "completion", "diagnose", "credits",
                                   "config check", "config upgrade", "config edit"])

# Flags that take a value (``--flag value`` or ``--flag=value``), as the v3 reference lists them (string, strings,
# float and duration flags of every agent command and of `ngrok api`'s global and secret-holding flags) and as the
# v2 agent took them. Names without leading dashes: v2 spells them -x, v3 --x. Every other flag is a switch unless
# written --flag=value (v3 switches: all, none, inspect, pooling-enabled, upstream-tls-verify, compression,
# websocket-tcp-converter, dry-run, relocate, ipv6, help; v2's -inspect is a switch too).
VALUE_FLAGS = frozenset(
    """config log log-level log-format authtoken api-key region url domain hostname subdomain remote-addr
    basic-auth auth host-header proto metadata description name label oauth oauth-allow-domain oauth-allow-email
    oauth-scope oauth-client-id oauth-client-secret oidc oidc-client-id oidc-client-secret oidc-scope
    oidc-allow-domain oidc-allow-email cidr-allow cidr-deny circuit-breaker request-header-add
    request-header-remove response-header-add response-header-remove verify-webhook verify-webhook-secret
    ua-filter-allow ua-filter-deny traffic-policy-file traffic-policy-url policy-file upstream-protocol
    upstream-proxy-protocol proxy-proto upstream-tls-verify-cas upstream-ca-path crt key client-cas
    mutual-tls-cas terminate-at binding scheme app-protocol bind-tls inspect-db-cap web-addr proxy-url
    connect-url server-addr channel write-report r w value value-file private-key-pem certificate-pem
    precomputed-token""".split()
)
_SECRET_FLAGS = frozenset(["authtoken", "api-key"])  # ngrok account credentials
_INFO_FLAGS = {"help": "help", "h": "help", "version": "version", "v": "version"}
_TRUE = frozenset(["", "true", "t", "1"])

# -- words ----------------------------------------------------------------------------------------------------------

# The shell reading, cut into consecutive pieces that cover the whole text: separators (whitespace, NUL,
# backslash-newline continuations), operators, words. A word is a run of plain characters, backslash escapes and
# quoted parts. Linear: every alternative starts with a character class disjoint from the others' (a plain run
# stops only where an escape, a quote or a separator starts), and nothing follows the repeated group, so a match
# is never backtracked into. A quoted part left open runs to the end of the text, or to a multivalue separator
# (\x1e, see redaction.redact_values). Digits right before < or > belong to the redirection ("2>&1").
# Each piece as (piece, separator or "", operator or ""): a piece with neither is a word; groups only say which
# alternative matched.
_SHELL_PIECE_KINDS = _when_needed(
    r"(((?:[\s\x00]|\\\r?\n)+)"
    r"|(\d+(?=[<>])[<>]+&?-?\d*|[<>]+&?-?\d*|[;&|]+)"
    r"""|(?:[^\s\x00"'\\;&|<>]+|\\[\s\S]?|"[^"\x1e]*"?|'[^'\x1e]*'?)+)"""
)
# The same pieces, as texts, in a text without operator characters (the operators' alternatives never match there).
_SHELL_WORD_OR_SEPARATOR = _when_needed(
    r"(?:[\s\x00]|\\\r?\n)+"
    r"""|(?:[^\s\x00"'\\;&|<>]+|\\[\s\S]?|"[^"\x1e]*"?|'[^'\x1e]*'?)+"""
)
# The same tokens without their positions: findall gives '' for a separator (matched once, never backtracked).
SHELL_WORD = _when_needed(
    r"(?:[\s\x00]|\\\r?\n)+"
    r"|(\d+(?=[<>])[<>]+&?-?\d*|[<>]+&?-?\d*|[;&|]+"
    r"""|(?:[^\s\x00"'\\;&|<>]+|\\[\s\S]?|"[^"\x1e]*"?|'[^'\x1e]*'?)+)"""
)
_ONE_SEPARATOR = re.compile(r"[\s\x00]")
_OTHER_SEPARATOR = re.compile(r"[^\S ]|\x00")  # a separator that is not a space
_OPERATOR_START = frozenset("<>;&|0123456789")
# The argv reading's pieces: runs of anything but whitespace and NUL, and runs of whitespace and NUL.
PLAIN_PIECE = re.compile(r"[^\s\x00]+|[\s\x00]+")
_SEPARATOR_START = re.compile(r"[\s\x00]|\\\r?\n")  # how a separator piece starts (no word starts so)
_NGROK_ANY_CASE = re.compile("ngrok", re.IGNORECASE).search
_NGROK_AT_START = re.compile("ngrok", re.IGNORECASE).match
_NGROK_AFTER_SPACE_OR_SLASH = re.compile("[ /]ngrok", re.IGNORECASE).search
_QUOTED_PART = _when_needed(r"""\\\r?\n|\\([\s\S])|"([^"]*)"?|'([^']*)'?|([^"'\\]+)|\\""")
_DUPLICATION = re.compile(r"&-?\d*$")  # 2>&1, >&-: no file word follows
_PLAIN_OPERATOR = re.compile(r"^(?:[;&|]+|\d*[<>]+&?-?\d*)$")
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SECRET_ENV = re.compile(r"(?<![A-Za-z0-9_])NGROK_(?:AUTHTOKEN|API_KEY)[ \t]*=", re.IGNORECASE)
_ASCII_PORT = re.compile(r"^\d{1,5}$", re.ASCII)
_DEFAULT_PORTS = {"http": "80", "https": "443", "tls": "443"}
# Characters that make the two readings differ: without any of them, the argv reading adds nothing.
SHELL_CHARACTERS = re.compile(r"""["'\\;&|<>]""")

_TWO_SEPARATORS = re.compile(r"\s\s")


def _holds_shell_character(text):
    """SHELL_CHARACTERS.search(text) is not None, by C-level searches for each character: cheaper than a pattern
    scan of a long text (a 1 MB scan is about 50 times slower), and than a pattern call on a short one."""
    return '"' in text or "'" in text or "\\" in text or _holds_operator_character(text)


def _holds_operator_character(text):
    """Whether ``text`` holds a shell operator character (< > ; & |): see _holds_shell_character."""
    return ";" in text or "&" in text or "|" in text or "<" in text or ">" in text


def _readings_differ(text):
    """Whether the argv reading of ``text`` may add to its shell reading: a shell character, NUL or two separators
    in a row (the argv reading keeps an empty argument: two spaces). By C-level searches where they suffice: a
    printable text has no separator but the space (see _quote_free_words)."""
    if _holds_shell_character(text) or "\x00" in text:
        return True
    return "  " in text if text.isprintable() else _TWO_SEPARATORS.search(text) is not None


def unquote(word):
    """Removes shell quoting from one word: "a b" -> a b, 'it"s' -> it"s, a\\ b -> a b, a\\<newline>b -> ab."""
    if "\\" not in word:  # no escape: quotes of one kind are just dropped (the other kind would be literal)
        if "'" not in word:
            return word.replace('"', "") if '"' in word else word
        if '"' not in word:
            return word.replace("'", "")
        first = word[0]
        if first == word[-1] and first in "\"'" and word.count(first) == 2:
            # One quoted part holding quotes of the other kind, literal inside it ("sh -c 'x'", a command string):
            # what the pattern below would read, without a Python step per part.
            return word[1:-1]
    return "".join(escaped or double or single or plain or ""
                   for escaped, double, single, plain in _QUOTED_PART().findall(word))


_EXHAUST = deque(maxlen=0)  # runs an iterator of calls to its end (C-level), keeping nothing
# The last long text read, its shell tokens, its plain tokens, its _quote_free_words: parse_all, then redact.
_cache = [None, None, None, None]


def _runs(text):
    """The words of ``text`` cut at whitespace and NUL only, as (start, end, False, word) tuples: the tokens of
    both readings when the text holds no quote, backslash or operator character. Built by C-level iteration
    (str.split, running sums, zip): no Python step per word."""
    starts, ends, words = _run_fields(text)
    return list(zip(starts, ends, repeat(False), words))


def _run_fields(text):
    """_runs as three lists: the words' starts, ends and texts."""
    spaced = text.replace("\x00", " ") if "\x00" in text else text
    words = spaced.split()  # str.split cuts where \s matches (str.isspace)
    if not words:
        return [], [], []
    lengths = list(map(len, words))
    before = len(spaced) - len(spaced.lstrip())
    if sum(lengths) + len(words) - 1 + before + len(spaced) - len(spaced.rstrip()) == len(text):
        # One separator character between words (the usual shape): each word starts at the running sum of the
        # lengths before it plus one each (shifted by what leads), and ends its length later.
        starts = list(accumulate(map(add, lengths, repeat(1)), initial=before))
        starts.pop()
        return starts, list(map(add, starts, lengths)), words
    pieces = PLAIN_PIECE.findall(text)
    ends = list(accumulate(map(len, pieces)))
    starts = [0]
    starts += ends[:-1]
    first = 1 if (pieces[0][0].isspace() or pieces[0][0] == "\x00") else 0  # a separator run comes first
    return starts[first::2], ends[first::2], pieces[first::2]


def shell_tokens(text):
    """The shell reading of ``text``: [(start, end, is_operator, text)], words unquoted, separators left out."""
    if _cache[1] is not None and (_cache[0] is text or _cache[0] == text):
        return _cache[1]
    if not _holds_shell_character(text):
        tokens = _runs(text)  # nothing to unquote, no operator, no continuation: words are the runs
        if _remember(text, 1, tokens) and _cache[2] is None:
            _cache[2] = tokens  # and the argv reading is the same
        return tokens
    tokens = _shell_pieces(text)
    _remember(text, 1, tokens)
    return tokens


def _shell_pieces(text):
    """shell_tokens of a text holding a quote, escape or operator, built by C-level iteration: positions are running
    sums of the pieces' lengths, the pattern's groups tell separators and operators."""
    if not _holds_operator_character(text):
        return _shell_words_and_separators(text)
    pieces = _SHELL_PIECE_KINDS().findall(text)
    texts = list(map(itemgetter(0), pieces))
    ends = list(accumulate(map(len, texts)))
    starts = [0]
    starts += ends[:-1]
    kept = list(map(not_, map(itemgetter(1), pieces)))  # not a separator
    operators = list(compress(map(bool, map(itemgetter(2), pieces)), kept))
    texts = list(compress(texts, kept))
    odd = []
    if "<" in text or ">" in text:
        # A word starting with a digit and holding < or > (1"<"x, 1\>x) is taken for an operator, as a piece starting
        # like a redirection always was: kept as it is, not unquoted.
        holding = map(or_, map(contains, texts, repeat("<")), map(contains, texts, repeat(">")))
        odd = [at for at in compress(count(), map(and_, map(not_, operators), holding)) if texts[at][0] in "0123456789"]
        for at in odd:
            operators[at] = True
    words = list(map(unquote, texts)) if _needs_unquote(text) else texts  # operators: as they are
    for at in odd:
        words[at] = texts[at]
    return list(zip(compress(starts, kept), compress(ends, kept), operators, words))


def _shell_words_and_separators(text):
    """_shell_pieces of a text without operator characters (so with a quote or a backslash), from the pieces alone
    (no groups to tell them apart). Exact: the pieces are then words and separators by turns, a word or a separator
    first (_SEPARATOR_START). Every character not a separator continues a word (plain characters, a backslash with
    what follows it, quoted parts), so a word runs up to a separator or the end; a separator run is the longest
    one; no piece is empty."""
    pieces = _SHELL_WORD_OR_SEPARATOR().findall(text)
    ends = list(accumulate(map(len, pieces)))
    if _SEPARATOR_START.match(pieces[0]) is None:  # a word first: it starts at 0, the next after each separator
        starts = [0]
        starts += ends[1::2]
        ends, words = ends[0::2], pieces[0::2]
    else:
        starts, ends, words = ends[0::2], ends[1::2], pieces[1::2]
    return list(zip(starts, ends, repeat(False), map(unquote, words)))  # (zip stops at the last word's start)


def _needs_unquote(text):
    """Whether ``text`` holds a quote or a backslash (see _holds_shell_character)."""
    return '"' in text or "'" in text or "\\" in text


def _remember(text, slot, tokens):
    """Keeps a long text's tokens for the next reading of it; a short text (a word the command masks between parsing
    a line and masking it, a command string inside it) is cheap to read again and does not push the long one out."""
    if len(text) < _REMEMBERED_LENGTH:
        return False
    if not (_cache[0] is text or _cache[0] == text):
        _cache[:] = [text, None, None, None]
    _cache[slot] = tokens
    return True


_REMEMBERED_LENGTH = 1000


def plain_tokens(text):
    """The argv reading of ``text``: [(start, end, is_operator, text)]; quote characters are dropped from each
    word's text (a collector that quotes arguments quotes whole words), a word made only of shell operator
    characters counts as an operator."""
    if _cache[2] is not None and (_cache[0] is text or _cache[0] == text):
        return _cache[2]
    quoted = '"' in text or "'" in text
    has_operator = _holds_operator_character(text)
    if not (quoted or has_operator):
        tokens = _runs(text)
    else:
        # Only the few words holding a quote or starting like an operator need a look of their own, and the quotes
        # are dropped from the words before the tokens are made (by C-level iteration: no Python step per word).
        starts, ends, words = _run_fields(text)
        operators = repeat(False)
        # Without < > ; & | no word can be an operator (digits alone are not).
        if has_operator:
            maybe = [at for at in compress(count(), map(contains, repeat(_OPERATOR_START), map(itemgetter(0), words)))
                     if _PLAIN_OPERATOR.match(words[at])]
            if maybe:
                operators = [False] * len(words)
                for at in maybe:
                    operators[at] = True  # an operator holds no quote: its word stays as it is
        unquoted = _quote_free_words(text) if quoted else None  # (operators were told from the words)
        if unquoted is not None and len(unquoted) == len(words):
            # The separators are single spaces: then the stripped text cut at each space gives as many pieces as the
            # text has words only when no two spaces touch, and dropping quote characters moves no space (a word made
            # only of quotes becomes an empty word, as it does on its own).
            words = unquoted
        elif quoted:
            holding = list(compress(count(), map(or_, map(contains, words, repeat('"')), map(contains, words,
                                                                                             repeat("'")))))
            stripped = map(str.replace, map(str.replace, map(words.__getitem__, holding), repeat('"'), repeat("")),
                           repeat("'"), repeat(""))
            _EXHAUST.extend(map(words.__setitem__, holding, stripped))
        tokens = list(zip(starts, ends, operators, words))
    _remember(text, 2, tokens)
    return tokens


def _quote_free_words(text):
    """The stripped text without its quote characters, cut at each space, when the spaces are its only separators
    (by one str.split: no step per word); else None. A printable text has no other separator: every whitespace
    character but the space, and NUL, is not printable (Unicode categories Cc, Zs, Zl, Zp), and isprintable costs
    much less than a pattern scan. The words of a long text are kept for the next call: parse_all's argv reading
    makes them, the redactor's plain_tokens reads them next."""
    if _cache[3] is not None and (_cache[0] is text or _cache[0] == text):
        return _cache[3]
    stripped = text.strip()
    if not stripped.isprintable():
        return None
    words = stripped.replace('"', "").replace("'", "").split(" ")
    _remember(text, 3, words)
    return words


def _is_operator(piece):
    first = piece[0]
    return first in "<>;&|" or (first in "0123456789" and ("<" in piece or ">" in piece))


def shell_words(text):
    """The shell reading's words and operators, without positions: [(is_operator, text)]."""
    quoted = _needs_unquote(text)
    if not _holds_operator_character(text):  # no piece can be an operator
        if quoted:
            return [(False, unquote(piece)) for piece in SHELL_WORD().findall(text) if piece]
        return [(False, piece) for piece in SHELL_WORD().findall(text) if piece]
    return [(True, piece) if _is_operator(piece) else (False, unquote(piece) if quoted else piece)
            for piece in SHELL_WORD().findall(text) if piece]


def _lazy_shell_words(text):
    """shell_words, one word at a time."""
    quoted = _needs_unquote(text)
    for match in SHELL_WORD().finditer(text):
        piece = match.group(1)
        if piece:
            yield (True, piece) if _is_operator(piece) else (False, unquote(piece) if quoted else piece)


def plain_words(text):
    """The argv reading's words (quote characters dropped) and operators, without positions. Each whitespace or
    NUL character separates two words: argv joined with spaces shows an empty argument as two spaces."""
    quoted = '"' in text or "'" in text
    pieces = _ONE_SEPARATOR.split(text.strip())
    return [(True, piece) if piece[:1] in _OPERATOR_START and _PLAIN_OPERATOR.match(piece)
            else (False, piece.replace('"', "").replace("'", "") if quoted else piece)
            for piece in pieces]


def split_words(command_line):
    """Splits a command line into words as a POSIX shell would for plain quoting, never failing; shell operators
    (``;``, ``&&``, ``|``, ``>``, ``2>&1``) come out as words of their own."""
    return [text for _, text in shell_words(command_line or "")]


def _basename(word):
    return word.rstrip("/").rsplit("/", 1)[-1]


def _named_ngrok(word):
    return _NGROK_ANY_CASE(word) is not None and \
        _basename(word).lower().startswith("ngrok") and not _ENV_ASSIGNMENT.match(word) and " " not in word.strip()


def _locate_binary(words, named):
    """[(index of the ngrok binary, inner command line or None)]: one or two readings of where the binary is.

    Launchers and their options are stepped over; a shell run with ``-c`` hands back its command string, to be
    parsed in its place. When another word is named ngrok* (an unknown launcher: ``proxychains ngrok tcp 22``), it
    is read as the binary too: whichever reading opens a tunnel counts (a renamed binary whose flag value holds
    ``ngrok version`` stays a tunnel). ``named``: _named_at(words), read by the caller.
    """
    found = [_launched(words)]
    if named is not None and found[0] != (named, None):
        if found[0][1] is None and not _named_ngrok(words[found[0][0]]) and \
                _basename(words[found[0][0]]).lower() in _LAUNCHERS:
            found = []
        found.append((named, None))
    return found


def _named_at(words):
    """_first_named_ngrok(words), after C-level looks for a word that may be named ngrok* (most lines have none):
    ngrok in any case at the start of the first word, or after a space or a slash in the words joined with spaces.
    Exact: a word named ngrok* has a lower-cased base name that starts with ngrok, so ngrok at its start or after a
    slash; lower-casing makes n, g, r, o, k only of characters the case-blind pattern takes for them, and a slash
    only of a slash (test_cmdline_equivalence checks both for every character)."""
    if _NGROK_AT_START(words[0]) is None and _NGROK_AFTER_SPACE_OR_SLASH(" ".join(words)) is None:
        return None
    return _first_named_ngrok(words)


_FEW_WORDS = 32


def _first_named_ngrok(words):
    """The index of the first word named ngrok* (_named_ngrok), None when there is none. Only the words whose
    lower-cased base name starts with ngrok, the first condition of _named_ngrok, are looked at one by one; that
    condition is checked for all by C-level iteration (lower-casing keeps every "/" and makes no new one, so the base
    name of the lower-cased word is the lower-cased base name). A short list (a real command line) is looked at word
    by word instead: building the iteration costs more than the few words it would save looking at."""
    if len(words) <= _FEW_WORDS:
        return next(compress(count(), map(_named_ngrok, words)), None)
    bases = map(itemgetter(2), map(str.rpartition, map(str.rstrip, map(str.lower, words), repeat("/")), repeat("/")))
    for index in compress(count(), map(str.startswith, bases, repeat("ngrok"))):
        if _named_ngrok(words[index]):
            return index
    return None


def _launched(words):
    index = 0
    while index < len(words):
        word = words[index]
        name = _basename(word).lower()
        if _ENV_ASSIGNMENT.match(word):
            index += 1
            continue
        if name in _SHELLS:
            for position in range(index + 1, len(words)):
                option = words[position]
                if option.startswith("-") and "c" in option[1:] and not option.startswith("--"):
                    return index, (words[position + 1] if position + 1 < len(words) else "")
            return (index + 1, None) if index + 1 < len(words) else (index, None)  # "sh script.sh": the script runs
        if name not in _LAUNCHERS:
            return index, None
        value_options = _LAUNCHERS[name]
        index += 1
        while index < len(words) and words[index].startswith("-") and len(words[index]) > 1:
            option = words[index]
            index += 1
            takes_value = option in value_options or (name == "screen" and option.endswith("S"))
            if takes_value and "=" not in option:
                index += 1
        if name == "timeout" and index < len(words):
            index += 1  # the duration
    return max(0, min(index, len(words) - 1)), None


def _explicit_port(target):
    """The port written in a target (``22``, ``host:22``, ``http://host:22/x``), "" when it names none."""
    if ":" not in target and not target.isdigit():
        return ""
    if _ASCII_PORT.match(target):
        return target if int(target) <= 65535 else ""
    authority = target.split("://", 1)[-1].split("/", 1)[0]
    host, colon, port = authority.rpartition(":")
    if colon and _ASCII_PORT.match(port):
        return port if int(port) <= 65535 else ""
    return ""


def target_port(target, subcommand):
    """The port a tunnel target points at: ``22``, ``host:22``, ``http://host:8080/x``; a bare http host is 80."""
    if not target:
        return ""
    port = _explicit_port(target)
    if port or _ASCII_PORT.match(target):
        return port
    authority = target.split("://", 1)[-1].split("/", 1)[0]
    if _ASCII_PORT.match(authority.rpartition(":")[2]) and ":" in authority:
        return ""  # a port out of range
    scheme = target.split("://", 1)[0].lower() if "://" in target else subcommand
    return _DEFAULT_PORTS.get(scheme, "")


# -- one command ----------------------------------------------------------------------------------------------------

def _invocation(binary, args):
    """The NgrokInvocation of one command: the binary's word and the words after it (operators removed)."""
    read, flag_at = None, None
    if len(args) >= _MANY_ARGS:
        is_flag, flag_words = _flags_of(args)
        if is_flag.count(True) * _FLAG_SHARE >= len(args):  # many flags: the loop would take a step for each
            read = _read_at_once(args, is_flag, flag_words)
        if read is None:
            flag_at = compress(count(), is_flag)
    words, flags, config_paths, has_secret, info_verb, first_clean, runs = read or _read_one_by_one(args, flag_at)

    # The verb: the first word, when it is one of ngrok's verbs and no flag value came before it; else (the words
    # before it are pieces of an unquoted flag value: --metadata "x help" tcp 22) the first verb that opens a
    # tunnel, else the first verb, else the first word. In that second case any verb that opens a tunnel may be the
    # real one (--log "ngrok tcp 8080" tcp 22 arrives as --log ngrok tcp 8080 tcp 22): each gives a reading.
    verb_at, candidates = 0, [0]
    if words and not (first_clean and words[0].lower() in VERBS):
        verbs = list(compress(count(), map(_any_case_verbs().__contains__, words)))
        candidates = [at for at in verbs if words[at].lower() in OPENING_VERBS]
        verb_at = candidates[0] if candidates else verbs[0] if verbs else 0
    subcommand = words[verb_at].lower() if words else ""
    next_word = words[verb_at + 1].lower() if verb_at + 1 < len(words) else None

    if subcommand == "authtoken" or (subcommand == "config" and next_word in ("add-authtoken", "add-api-key")):
        has_secret = True
    if info_verb and subcommand not in OPENING_VERBS:
        # ngrok prints help or its version and exits, whatever else the line asks for.
        subcommand = info_verb
    action = subcommand
    if subcommand in ACTION_VERBS and next_word is not None:
        action = subcommand + " " + next_word
    targets = _targets(words, *runs(), candidates) if subcommand in TUNNEL_VERBS else {}
    target = targets.pop(verb_at, "")

    shown = words[verb_at:]
    shown += flags
    arguments = " ".join(shown)
    paths = tuple(([binary] if "/" in binary else []) + config_paths)
    found = NgrokInvocation(subcommand, action, target, target_port(target, subcommand), arguments, paths, has_secret)
    others = {}
    for at, other in targets.items():
        if other != target and other not in others:
            verb = words[at].lower() if at >= 0 else subcommand
            others[other] = found._replace(subcommand=verb, action=verb, target=other,
                                           target_port=target_port(other, verb))
    return [found] + list(others.values())


def _read_flag(word):
    """(lower-case name, "=" or "", inline value, name as shown: -x or --name) of a flag word."""
    name, has_inline_value, value = word.lstrip("-").partition("=")
    name = name.lower()
    return name, has_inline_value, value, ("-" if len(name) == 1 else "--") + name


def _read_one_by_one(args, flag_at=None):
    """The positional words and flags of a command's arguments, a flag at a time: (words, the flags' texts to join
    with spaces (--name=value, --name, --name value), --config files, whether a secret flag is given, "help"/"version" when a flag asks for it, whether
    the first word is clean, a function giving (clean_of, index_of, run_ends): see _targets). ``flag_at``: the
    flags' positions, when the caller has them."""
    # The positional words, in three parallel lists: the word, whether it is clean (not after a flag's separate
    # value, nor after such a word), its position in args plus one. They come in runs between flags, each run
    # added at once (a command line of a million words costs no Python step per word).
    words, clean_of, index_of = [], [], []
    run_ends = []  # the position in words of each run's last word
    flags = []  # each flag as --name[=value] or --name value
    config_paths = []
    has_secret = False
    info_verb = ""
    after_value = False
    total = len(args)
    index = 0  # the next word not yet read
    flag_words = {}  # flag word -> _read_flag(word)
    if flag_at is None:
        flag_at = [at for at in compress(range(total), map(str.startswith, args, repeat("-"))) if len(args[at]) > 1]
    for at in flag_at:
        if at < index:
            continue  # a flag's value
        if at > index:  # a run of positional words
            words += args[index:at]
            clean_of += [not after_value] * (at - index)
            index_of += range(index + 1, at + 1)
            run_ends.append(len(words) - 1)
        word = args[at]
        index = at + 1
        if word == "--":  # options end: every later word is a clean positional
            after_value = False
            break
        read = flag_words.get(word)  # a flag word is read once however often it is repeated
        if read is None:
            read = flag_words[word] = _read_flag(word)
        name, has_inline_value, value, shown = read
        after_value = False
        if has_inline_value:
            flags.append(shown + "=" + value)
        elif name in VALUE_FLAGS and index < total:
            value = args[index]
            index += 1
            flags.append(shown + " " + value)
            after_value = True
        else:
            flags.append(shown)
        if name == "config":
            config_paths.extend(path for path in value.split(",") if path)
        elif name in _SECRET_FLAGS:
            has_secret = True
        elif name in _INFO_FLAGS and not info_verb and (not has_inline_value or value.lower() in _TRUE):
            info_verb = _INFO_FLAGS[name]  # but --help=false turns help off: the tunnel runs
    if index < total:  # the last run (every word after --, if it came)
        words += args[index:]
        clean_of += [not after_value] * (total - index)
        index_of += range(index + 1, total + 1)
        run_ends.append(len(words) - 1)
    runs = (clean_of, index_of, run_ends)
    return words, flags, config_paths, has_secret, info_verb, bool(clean_of) and clean_of[0], lambda: runs


_MANY_ARGS = 64  # from this many arguments on, _read_at_once (below, its fixed cost is more than the loop's) ...
_FLAG_SHARE = 8  # ... when at least one in this many is a flag (else the loop's few steps cost less)
_REPEATED = 4  # at most one distinct word in this many: _flags_of tells flags by a set of the distinct words


def _flags_of(args):
    """([whether each argument is a flag word: - then at least one character], the set of the flag words)."""
    distinct = set(args)
    if len(distinct) * _REPEATED <= len(args):  # a few words, repeated: each looked at once, then looked up
        flag_words = set(compress(distinct, map(str.startswith, distinct, repeat("-"))))  # (one set, one order)
        flag_words.discard("-")  # a lone dash is a word
        return list(map(flag_words.__contains__, args)), flag_words
    is_flag = list(map(str.startswith, args, repeat("-")))
    if "-" in args:
        is_flag = list(map(and_, is_flag, map(ne, args, repeat("-"))))
    return is_flag, set(compress(args, is_flag))


def _read_at_once(args, is_flag, flag_words):
    """_read_one_by_one by C-level iteration (no Python step per word or flag), for the arguments where every flag
    is read alike wherever it stands; None where the order matters (the loop then reads them): a flag word is --
    (options end), names a --config file, or asks for help or the version (the first one counts), or a flag that
    takes a value is followed by a flag word (which is then its value, not a flag: chains depend on parity). The
    flags come as the texts to join with spaces: --name=value, --name, or --name then its value.

    Exact: without those, the loop reads every flag word as a flag, and each flag that takes a value takes the word
    right after it (never a flag word), or nothing when it is the last word; the positional words are the rest, in
    runs between them; a run is clean unless it starts right after a value. ``is_flag``, ``flag_words``: _flags_of."""
    reads = {word: _read_flag(word) for word in flag_words}
    if "--" in reads or any(name == "config" or name in _INFO_FLAGS for name, _, _, _ in reads.values()):
        return None
    has_secret = any(name in _SECRET_FLAGS for name, _, _, _ in reads.values())
    takes_value = {word for word, (name, has_inline_value, _, _) in reads.items()
                   if not has_inline_value and name in VALUE_FLAGS}
    taken = is_flag  # the flags and their values
    if takes_value:
        is_value = [False]  # the word right after a flag that takes a value (none after the last word)
        is_value += map(takes_value.__contains__, args)
        is_value.pop()
        if any(map(and_, is_flag, is_value)):
            return None
        taken = list(map(or_, is_flag, is_value))
    positional = list(map(not_, taken))
    words = list(compress(args, positional))
    texts = list(compress(args, taken))
    flags = list(map({word: shown + has_inline_value + value
                      for word, (_, has_inline_value, value, shown) in reads.items()}.get, texts, texts))
    if not words:
        return words, flags, [], has_secret, "", False, lambda: ([], [], [])
    first_at = positional.index(True)
    first_clean = first_at == 0 or is_flag[first_at - 1]  # else a value comes right before it

    def runs():
        index_of = list(compress(count(1), positional))
        # A run ends where the next positional word is not the next argument; it is clean unless the argument before
        # its first word is a value (not a flag: a run starts after a flag or its value).
        ends = list(compress(count(), map(ne, map(sub, index_of[1:], index_of), repeat(1))))
        ends.append(len(words) - 1)
        starts = [0]
        starts += map(add, ends[:-1], repeat(1))
        clean = list(map(is_flag.__getitem__, map(sub, map(index_of.__getitem__, starts), repeat(2))))
        clean[0] = first_clean
        clean_of = list(chain.from_iterable(map(repeat, clean, map(sub, map(add, ends, repeat(1)), starts))))
        return clean_of, index_of, ends
    return words, flags, [], has_secret, "", first_clean, runs


def _targets(words, clean_of, index_of, run_ends, candidates):
    """{verb position: the tunnel's target read after it} for each candidate verb position, plus, under position
    -1 - n, the other unquoted run ends written with a port when no word is clean (the text cannot tell which one
    ngrok took: --log ngrok tcp 8080 --log version 22). Linear: the choices are found by bisection in the sorted
    positions of the clean words and of the run ends.

    After a verb: the word right after it; else the first word that does not follow a flag value; else (a flag
    value held spaces and was logged unquoted: --metadata a b 22) the first end of a run of such words written
    with a port (the value's pieces come first); else the last run end."""
    count = len(words)
    cleans = list(compress(range(count), map(and_, clean_of, map(bool, words))))  # clean and not empty
    ends = [at for at in run_ends if words[at]]  # a run's last word, when not empty (an empty argument)
    port_ends = [at for at in ends if _explicit_port(words[at])]

    def first_from(positions, after):
        found_at = bisect_left(positions, after)
        return positions[found_at] if found_at < len(positions) else None

    found = {}
    for verb_at in candidates:
        after = verb_at + 1
        if after < count and index_of[after] == index_of[verb_at] + 1 and words[after]:
            choice = after
        else:
            choice = first_from(cleans, after)
            if choice is None:
                choice = first_from(port_ends, after)
            if choice is None:
                choice = ends[-1] if ends and ends[-1] >= after else -1
        found[verb_at] = words[choice] if choice >= 0 else ""
    if candidates and first_from(cleans, candidates[0] + 1) is None:
        extra = 0
        for at in port_ends[bisect_left(port_ends, candidates[0] + 1):]:
            extra += 1
            found[-1 - extra] = words[at]
    return found


def _commands(tokens, first_only=False):
    """Splits a token list into commands at control operators; redirections are dropped with their file word.
    With ``first_only``, stops at the end of the first command that has words (``tokens`` may be lazy)."""
    commands, current, skip_file = [], [], False
    for is_operator, text in tokens:
        if is_operator:
            skip_file = False
            if not text.strip(";&|"):  # only ; & | characters: ends one command, starts the next
                if first_only and current:
                    return [current]
                commands.append(current)
                current = []
            elif not _DUPLICATION.search(text):
                skip_file = True
            continue
        if skip_file:
            skip_file = False
            continue
        current.append(text)
    commands.append(current)
    return [words for words in commands if words]


def _command_invocations(words, depth, named):
    found = []
    for start, inner in _locate_binary(words, named):
        if inner is not None:
            if depth < 3:
                found.extend(_shell_invocations(inner, depth + 1))
            continue
        secret_env = _SECRET_ENV.search(" ".join(words[:start + 1])) is not None
        for invocation in _invocation(words[start], words[start + 1:]):
            if secret_env and not invocation.has_authtoken:
                invocation = invocation._replace(has_authtoken=True)  # NGROK_AUTHTOKEN=... in front of the binary
            found.append(invocation)
    return found


def _shell_invocations(command_line, depth=0, redact_next=False):
    """Every command of the shell reading that runs ngrok; when none is named ngrok*, the first command."""
    if not _holds_shell_character(command_line):
        # No quote, escape or operator: one command, its words cut at whitespace and NUL (str.split cuts at the
        # characters \s matches, str.isspace).
        words = (command_line.replace("\x00", " ") if "\x00" in command_line else command_line).split()
        commands = [words] if words else []
    else:
        commands = _shell_commands(command_line, redact_next)
    if _NGROK_ANY_CASE(command_line):
        located = [(words, _named_at(words)) for words in commands]
        chosen = [command for command in located if command[1] is not None] or located[:1]
    else:  # no command is named ngrok*, but an escape may still spell it in the first one (ng\rok)
        chosen = [(words, _named_at(words)) for words in commands[:1]]
    found = []
    for words, named in chosen:
        found.extend(_command_invocations(words, depth, named))
    return found


def _shell_commands(command_line, redact_next):
    """The commands of a line holding a quote, escape or operator (see _shell_invocations)."""
    has_operator = _holds_operator_character(command_line)
    if has_operator and _NGROK_ANY_CASE(command_line) is None:
        # No command can be named ngrok*, so only the first is read: its words are cut one by one up to the
        # operator that ends it (a line of 100,000 commands costs its first one, not a word list of them all).
        return _commands(_lazy_shell_words(command_line), first_only=True)
    if redact_next and len(command_line) >= _REMEMBERED_LENGTH:
        # The redactor reads this line next, with positions: make its shell tokens now and take the words from them
        # (only for a line long enough for them to be kept: a short one would be read twice).
        tokens = shell_tokens(command_line)
        if has_operator:
            return _commands(zip(map(itemgetter(2), tokens), map(itemgetter(3), tokens)))
        words = list(map(itemgetter(3), tokens))
        return [words] if words else []
    if has_operator:
        return _commands(shell_words(command_line))
    # Quotes or escapes but no operator: still one command, its words unquoted.
    words = [unquote(piece) for piece in SHELL_WORD().findall(command_line) if piece]
    return [words] if words else []


def _argv_invocations(command_line):
    if not _holds_operator_character(command_line):
        # No word can be an operator: drop the quote characters from the whole line, then cut it (as plain_words):
        # at each space when the spaces are the only separators (_quote_free_words), else at each separator.
        words = _quote_free_words(command_line)
        if words is None:
            stripped = command_line.strip().replace('"', "").replace("'", "")
            words = stripped.split(" ") if _OTHER_SEPARATOR.search(stripped) is None else _ONE_SEPARATOR.split(stripped)
    else:
        words = [text for _, text in plain_words(command_line)]  # '' too: a quote alone was an argument
    return _command_invocations(words, 0, _named_at(words)) if words else []


def _rank(invocation):
    """Display order: a tunnel with a port, a tunnel with a target, a tunnel, anything not informational, the rest."""
    if invocation.subcommand in OPENING_VERBS:
        return 0 if invocation.target_port else 1 if invocation.target else 2
    return 4 if invocation.action in INFORMATIONAL_ACTIONS else 3


def parse_all(command_line, redact_next=False):
    """Every ngrok command a command line may run, in both readings (see the module's docstring), the one to show
    first: ``ngrok http 3000 & ngrok tcp 22`` gives both tunnels. When the line opens a tunnel, its informational
    commands (``; ngrok version`` logged unquoted from a flag value) are left out, so they cannot lower the score.

    ``redact_next``: the caller masks this same text next (redaction.redact), which reads it with word positions:
    the shell reading is then made once, with them, for both (the facts are the same either way)."""
    if not command_line:
        return []
    found = _shell_invocations(command_line, 0, redact_next)
    if _readings_differ(command_line):
        found += _argv_invocations(command_line)
    unique = [invocation for invocation in dict.fromkeys(found) if invocation != EMPTY]
    if any(invocation.subcommand in OPENING_VERBS for invocation in unique):
        unique = [invocation for invocation in unique if invocation.action not in INFORMATIONAL_ACTIONS]
    return sorted(unique, key=_rank)


def parse(command_line):
    """Returns the NgrokInvocation to show for one command line (a ``str``): the first of ``parse_all``; EMPTY
    when there is nothing to read."""
    found = parse_all(command_line)
    return found[0] if found else EMPTY
