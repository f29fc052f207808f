"""The fast paths of the command-line parser and the redactor decide exactly what the plain per-word walks decided.

``cmdline_reference/`` holds the parser and the redactor as they were before the fast paths (issue 9 item 6: a
1 MB line of hundreds of thousands of words must cost well under a CPU-second): every word visited by a Python
step. The built modules now cut words by C-level iteration, add whole runs of positional words at once, find
targets by bisection and skip readings that cannot differ. On generated hostile lines (every quote, escape,
operator, separator, secret keyword, verb and flag shape the parser treats apart, mixed at random) both give the
same parse_all facts and the same masked text.
"""

from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from cmdline_reference import ngrok_cmdline_reference as reference_cmdline
from cmdline_reference import redaction_reference as reference_redaction
from sa_ngrok_detection import ngrok_cmdline, redaction

FRAGMENTS = [
    # words and separators
    "ngrok", "/usr/bin/ngrok", "NGROK", "x", "a", "22", "8080", "localhost:22", "http://u:p@h:80/x", "", " ", "  ",
    "\t", "\n", "\x00", "\x1e", "\u00a0", "\u2028",
    # quotes, escapes, operators
    '"', "'", "\\", "\\\n", "\\ ", ";", "&", "&&", "|", ">", "<", "2>&1", ">x", "1>", "9<", ">&-",
    # verbs and launchers
    "tcp", "TCP", "http", "tls", "tunnel", "start", "service", "install", "config", "add-authtoken", "add-api-key",
    "authtoken", "api", "version", "help", "sudo", "-u", "nohup", "sh", "-c", "bash", "env", "timeout", "5",
    "NGROK_AUTHTOKEN=", "NGROK_API_KEY", "=", "ngro\u212a_api_key=", "x:",
    # flags
    "--", "-", "--log", "-log", "--metadata", "--config", "--authtoken", "--authtoken=", "-authtoken", "--api-key",
    "--basic-auth", "-auth", "--value", "--private-key-pem", "--help", "-h", "--help=false", "-v", "--all", "-all",
    "--proxy-proto", "--label", "--request-header-add", "--url", "-----BEGIN",
    # headers and URLs
    "Authorization:", "Bearer", "X-Api-Key:", "Cookie:", "?token=", "&sig=", "https://", "@", "x-amz-date:",
    "Host:", "sig:", "key :", "Code:", "signer:", "keys:", "\u212aey:", "\u017fession:", "?a=", "?key=", "&code=",
    "&x-goog-credential=", "Basic", "u:p@", "/", "#", "?",
    # a word that starts with a digit and holds < or > inside quotes or after an escape: read as an operator
    '1"<"x', "2\\>x", "3'>'",
    # one quoted part holding quotes of the other kind (a command string), whole or with something after it
    "\"sh -c 'x y'\"", "'a \"b\" c'", "\"'\"", "'\"'", "\"''\"", "\"a 'b\"c",
]


@st.composite
def hostile_lines(draw):
    pieces = draw(st.lists(st.sampled_from(FRAGMENTS), max_size=24))
    joiner = draw(st.sampled_from([" ", "", "\x00", " \t "]))
    return joiner.join(pieces)


@st.composite
def tunnel_lines(draw):
    """ngrok, then verbs, flags with and without values, words and empty arguments (two spaces), as argv."""
    words = draw(st.lists(st.sampled_from(["tcp", "http", "tunnel", "start", "version", "-h", "--log", "--metadata",
                                           "--label", "--", "x", "22", "h:80", "", "", "--authtoken", "-v"]),
                          max_size=14))
    return draw(st.sampled_from(["ngrok ", "sudo ngrok ", "x "])) + " ".join(words)


@st.composite
def spaced_secret_lines(draw):
    """A secret flag that takes spaces, then words: plain ones, quoted ones, quotes that open or close, flags,
    operators, escapes (what may end the secret in one reading and not the other)."""
    words = draw(st.lists(st.sampled_from(["a", "b", '"', "'", 'a"', '"a', "a'", "'a", 'x"y', "x\\", "\\ ",
                                           "--log", "-x", "-", "--", ";", "&&", ">", "authtoken", '"a b"']),
                          max_size=12))
    flag = draw(st.sampled_from(["--basic-auth", "-auth", "--value", "--private-key-pem", "--authtoken"]))
    joiner = draw(st.sampled_from([" ", "\x00"]))
    return "ngrok http " + flag + draw(st.sampled_from([" ", "=", " = "])) + joiner.join(words)


# Words that change nothing in the redactor's walk while it reads no keyword, flag or operator: many of them and
# a few hostile fragments make the walk step over runs of tokens (redaction._MAY_MATTER), or not, when they are
# too few.
FILLER = ["a", "x", "22", "ngrok", "tcp", ";", "&", "|", "&&", "abcdefghij", "localhost:8080", "http://h/x",
          "ngrokhost", "authtok", "\u212a", "a-b", "x=1", "=", "1", "-x", "\u0130"]


@st.composite
def sparse_lines(draw):
    words = draw(st.lists(st.sampled_from(FILLER), min_size=4, max_size=60))
    for fragment in draw(st.lists(st.sampled_from(FRAGMENTS + ["ngrok_authtoken=", "NGROK_API_KEY", "authtoken",
                                                               "add-api-key", "2>", "<", "-auth", "NGROK_AUTHTOKEN = s",
                                                               "NGROK_API_KEY =s", '"export NGROK_AUTHTOKEN" = s',
                                                               '1"<"x']), max_size=5)):
        words.insert(draw(st.integers(0, len(words))), fragment)
    return draw(st.sampled_from([" ", "\x00", "  ", " \t"])).join(words)


ANY_TEXT = st.text(alphabet=st.sampled_from(list("ngrok tcp2-=\"'\\;&|<>\x00\n\t aA:@?/")), max_size=40)


def _same_decisions(line):
    assert ngrok_cmdline.parse_all(line) == reference_cmdline.parse_all(line), line
    # As the command reads a line it masks next: the parser makes the shell reading (with positions) the redactor
    # then reuses; the same facts and the same masked text.
    assert ngrok_cmdline.parse_all(line, True) == reference_cmdline.parse_all(line), line
    assert redaction.redact(line) == reference_redaction.redact(line), line
    for reading in ("shell_tokens", "plain_tokens"):
        assert getattr(ngrok_cmdline, reading)(line) == getattr(reference_cmdline, reading)(line), (reading, line)


@settings(max_examples=400, deadline=None)
@given(hostile_lines())
def test_fast_paths_decide_as_the_word_by_word_walks_on_hostile_lines(line):
    _same_decisions(line)


@settings(max_examples=400, deadline=None)
@given(tunnel_lines())
def test_fast_paths_decide_as_the_word_by_word_walks_on_tunnel_lines(line):
    _same_decisions(line)


@settings(max_examples=300, deadline=None)
@given(spaced_secret_lines())
def test_fast_paths_decide_as_the_word_by_word_walks_on_spaced_secrets(line):
    _same_decisions(line)


@settings(max_examples=400, deadline=None)
@given(sparse_lines())
def test_fast_paths_decide_as_the_word_by_word_walks_on_sparse_lines(line):
    _same_decisions(line)


@settings(max_examples=300, deadline=None)
@given(hostile_lines())
def test_tokens_kept_for_the_redactor_decide_as_the_word_by_word_walks(line):
    # Only long texts' tokens are kept between parse_all and redact; keep every text's here, so that the kept
    # tokens are what the redactor reads on these short generated lines too.
    with mock.patch.object(ngrok_cmdline, "_REMEMBERED_LENGTH", 0):
        _same_decisions(line)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_fast_paths_decide_as_the_word_by_word_walks_on_any_text(line):
    _same_decisions(line)


def test_every_worst_case_shape_decides_as_before_at_a_small_size():
    from benchmark_worst_case import SHAPES
    # Past redaction.COMMAND_STRINGS_READ distinct command strings a line is masked more than the reference does, on
    # purpose (test_redaction.py pins that); 2,000 characters of nested strings hold more than the limit.
    with mock.patch.object(redaction, "COMMAND_STRINGS_READ", 1000):
        for build in SHAPES.values():
            _same_decisions(build(2000))


LISTED = [
    "ngrok --log a tcp --log b c --log d e  --log f",  # the last run ends with an empty argument
    "ngrok --log a tcp --log b 22 --log d h:80  --log f",
    "ngrok --metadata a b -- tcp 22",
    "ngrok --log ngrok tcp 8080 --log version 22",
    "sh -c \"sudo sh -c 'ngrok --authtoken x tcp 22'\"",
    # word positions: one separator character between words or more, around them or not, NUL and Unicode spaces
    " ngrok --authtoken x ", "\x00ngrok\x00--authtoken\x00x\x00", "ngrok  --authtoken\u2028x\u3000", "\t\n",
    "ngrok --basic-auth a b c\x00", "x\x1e--authtoken\x1ey", "\u0085ngrok --api-key k\u00a0",
]


def test_listed_lines_decide_as_the_word_by_word_walks():
    for line in LISTED:
        _same_decisions(line)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("\"'\\ ax\n")), min_size=1, max_size=12))
def test_unquote_reads_each_word_as_the_pattern_did(word):
    assert ngrok_cmdline.unquote(word) == reference_cmdline.unquote(word), word


# Command strings the argv reading's walk may stand for (redaction._command_strings_to_watch): quoted words holding
# spaces, with or without a quote, escape or operator inside, right after whitespace or not, closed or not,
# repeated where the walk is reading nothing and where it is reading a secret, a value, a file or a keyword.
INNER_WORDS = ["ngrok", "x", "22", "--authtoken", "--authtoken=", "--authtoken=s", "-authtoken", "--api-key",
               "--basic-auth", "--basic-auth=a", "-auth", "--value", "--log", "--metadata", "--", "-", "-x",
               "-----BEGIN", "=", "=s", "authtoken", "AUTHTOKEN", "add-api-key", "config", "add-authtoken",
               "NGROK_AUTHTOKEN", "NGROK_AUTHTOKEN=s", "ngrok_api_key=", "export NGROK_AUTHTOKEN", "Authorization:",
               "Bearer", "X-Api-Key:", "https://u:p@h", "?token=t", "a:b", "\u212a", "", " ", "  ", "\t", "\x00",
               "\n", "x\\", ";", ">", "'", '"', "&&", "a'b"]
BEFORE_WORDS = ["sh", "-c", "ngrok", "--authtoken", "authtoken", "--basic-auth", "--log", ">", "2>&1", "x",
                "NGROK_AUTHTOKEN", "=", "-auth", "a\\"]


@st.composite
def command_string_lines(draw):
    inner = draw(st.sampled_from([" ", "", "\x00", "  "])).join(draw(st.lists(st.sampled_from(INNER_WORDS),
                                                                              min_size=1, max_size=40)))
    quote = draw(st.sampled_from(['"', "'"]))
    pieces = []
    filler = draw(st.sampled_from([[], ["a"] * 20]))  # inert words: the walk steps over them (_MAY_MATTER)
    for _ in range(draw(st.integers(1, 3))):
        pieces += filler + draw(st.lists(st.sampled_from(BEFORE_WORDS), max_size=3))
        word = quote + draw(st.sampled_from([inner, " " + inner, inner + " "])) + quote
        pieces.append(draw(st.sampled_from(["", "x", ";", "'"])) + word + draw(st.sampled_from(["", "", "y", ";"])))
    line = draw(st.sampled_from([" ", "\x00", "\t"])).join(pieces + draw(st.lists(st.sampled_from(BEFORE_WORDS),
                                                                                 max_size=3)))
    return line[:-1] if draw(st.booleans()) and line.endswith(quote) else line  # a quote left open


@st.composite
def sparse_command_string_lines(draw):
    """Long runs of inert words around a long command string holding a few secrets: the walks step over tokens
    (_MAY_MATTER) before the string, in it and after it."""
    inner = draw(st.lists(st.sampled_from(FILLER), min_size=20, max_size=60))
    for fragment in draw(st.lists(st.sampled_from(INNER_WORDS[:40]), max_size=4)):
        inner.insert(draw(st.integers(0, len(inner))), fragment)
    before = draw(st.lists(st.sampled_from(FILLER), max_size=20)) + draw(st.lists(st.sampled_from(BEFORE_WORDS),
                                                                                max_size=2))
    quote = draw(st.sampled_from(['"', "'"]))
    after = draw(st.lists(st.sampled_from(FILLER + BEFORE_WORDS), max_size=20))
    return " ".join(before + [quote + " ".join(inner) + quote] + after)


@settings(max_examples=500, deadline=None)
@given(st.one_of(command_string_lines(), sparse_command_string_lines()))
def test_command_strings_the_argv_walk_stands_for_decide_as_the_word_by_word_walks(line):
    # Only long command strings (redaction._COVERED_FROM characters) are looked at so; here every one is.
    with mock.patch.object(redaction, "_COVERED_FROM", 0):
        _same_decisions(line)


COMMAND_STRINGS = [
    'sh -c "ngrok --authtoken x tcp 22"',  # nothing being read at the string: its walk is the argv walk's
    '--authtoken "ngrok --authtoken x tcp 22"',  # a secret expected: the string is it
    '--basic-auth a "b c --authtoken x"',  # a spaced secret being read
    'authtoken "x y --api-key k"',  # a keyword's secret expected
    '> "a b authtoken k c d e f g h"',  # a file expected
    'NGROK_AUTHTOKEN "= secret and more words here"',  # "=" expected
    "a " * 20 + '"ngrok --authtoken x' + " a" * 30 + '"',  # the walks step over inert words
    'x "a b --authtoken k" "a b --authtoken k"',  # one string twice: looked at alone, then walked in full
    '"a b --authtoken k" y "a b --authtoken k"',
    '" ngrok --authtoken " --api-key', "'ngrok --authtoken x", 'x\x00"ngrok authtoken k"\x00y',
]


def test_listed_command_strings_decide_as_the_word_by_word_walks():
    with mock.patch.object(redaction, "_COVERED_FROM", 0):
        for line in COMMAND_STRINGS:
            _same_decisions(line)


def test_a_long_command_string_is_walked_once_as_part_of_the_line():
    # What the equivalence above is for: a 20,000-character command string's words are walked by the line's argv
    # reading only, not again on their own: the walks are the line's shell reading (3 tokens), its argv reading
    # and that reading's 2 tokens before the string (what is being read there), none of the string's text.
    from benchmark_worst_case import SHAPES
    line = SHAPES["a quoted command string of secrets"](20000)
    walked = []
    original = redaction._walk

    def counting_walk(text, tokens, *args, **kwargs):
        walked.append((len(text), len(tokens)))
        return original(text, tokens, *args, **kwargs)
    with mock.patch.object(redaction, "_walk", counting_walk):
        masked = redaction.redact(line)
    argv_tokens = len(ngrok_cmdline.plain_tokens(line))
    assert argv_tokens > 2000
    assert walked == [(len(line), 3), (len(line), argv_tokens), (len(line), 2)]
    assert masked == reference_redaction.redact(line)
    assert "--authtoken ******** ngrok" in masked


# -- hredact, sixth round: the redactor's fast paths for nested and quoted command strings --------------------------

# Words the walk treats apart, each of them inert when nothing is being read or not.
REPEATED_WORDS = ["x", "k", "-c", "--log", "--authtoken", "--authtoken=s", "--log=x", "--basic-auth", "-", "--",
                  "authtoken", "abcdefghij", "NGROK_AUTHTOKEN", "ngrok_api_key=s", "=", ">", "2>&1", ";", "'", '"',
                  "x'", '"a', '"bash -c \'ngrok authtoken x\' "', "'a b'"]


@st.composite
def repeated_units(draw):
    """A few fragments repeated (the worst-case shapes repeat one unit): a word met again while nothing is being
    read, and while a value, secret, keyword, file or spaced secret is; command strings met again."""
    unit = draw(st.lists(st.sampled_from(REPEATED_WORDS if draw(st.booleans()) else FRAGMENTS + INNER_WORDS),
                         min_size=1, max_size=6))
    joiner = draw(st.sampled_from([" ", "\x00", "  "]))
    return joiner.join(unit * draw(st.integers(2, 12)))


REDACTOR_LINES = st.one_of(hostile_lines(), sparse_lines(), spaced_secret_lines(), command_string_lines(),
                           repeated_units())


@settings(max_examples=600, deadline=None)
@given(REDACTOR_LINES)
def test_inert_words_decide_as_the_word_by_word_walks(line):
    # Only long walks (redaction._INERT_FROM tokens) remember their inert words; here every walk does.
    with mock.patch.object(redaction, "_INERT_FROM", 0):
        _same_decisions(line)


# Each word a long walk remembers, met again while nothing is being read and while something is.
REPEATED_LINES = [
    "--log authtoken k " * 3, "--log --authtoken k " * 3, "-log authtoken k x " * 3, "--log=x authtoken k " * 3,
    "--authtoken k x " * 3, "--authtoken --log k " * 3, "--basic-auth a b --log c " * 3, "--authtoken= k " * 3,
    "authtoken x authtoken " * 3, "add-api-key x --log " * 3, "NGROK_AUTHTOKEN = k ngrok_api_key x " * 3,
    "> authtoken k > x --log " * 3, "-c x --c -- - " * 3, 'sh -c "bash -c \'ngrok authtoken x\' " ' * 3,
]


def test_repeated_words_decide_as_the_word_by_word_walks():
    with mock.patch.object(redaction, "_INERT_FROM", 0):
        for line in REPEATED_LINES:
            _same_decisions(line)
            _same_decisions(line.replace(" ", "\x00"))


# -- the parser's share (hparse): reading a long argument list at once (ngrok_cmdline._read_at_once) --------------

ARGUMENT_WORDS = ["tcp", "http", "tunnel", "start", "config", "authtoken", "version", "x", "22", "h:80", "", "-",
                  "--", "-h", "--help=false", "-v", "--config", "--config=a,b", "--log", "-log", "--metadata",
                  "--authtoken", "--authtoken=s", "--api-key", "--all", "-x", "--label", "--url=u", "NGROK"]


@st.composite
def long_argument_lines(draw):
    """ngrok and a long argument list: flags that take a value (followed by a word, by a flag word, or last),
    switches, inline values, --, a lone dash, help and config flags, empty arguments, verbs anywhere; or, to reach
    the at-once reading's every branch, only the kinds of flag it reads (then it applies)."""
    alphabet = draw(st.sampled_from([ARGUMENT_WORDS,
                                     [word for word in ARGUMENT_WORDS
                                      if word not in ("--", "-h", "--help=false", "-v", "--config", "--config=a,b")]]))
    words = draw(st.lists(st.sampled_from(alphabet), min_size=1, max_size=90))
    if draw(st.booleans()):  # every flag that takes a value followed by a plain word (no chains)
        words = [word + (" x" if word.lstrip("-") in ngrok_cmdline.VALUE_FLAGS else "") for word in words]
    return draw(st.sampled_from(["ngrok ", "sudo ngrok ", "x ", "ngrok --log "])) + " ".join(words)


@settings(max_examples=500, deadline=None)
@given(st.one_of(long_argument_lines(), tunnel_lines(), hostile_lines()))
def test_arguments_read_at_once_decide_as_the_word_by_word_walks(line):
    # Every argument list, however short, read at once where that applies (the loop reads the rest): with any flag,
    # its flags told by a set of its distinct words (_REPEATED 1: always); and with one flag in eight words or more,
    # its flags told one by one (never by the set), the loop reading the others from the flags' positions.
    for repeated, flag_share in ((1, 10 ** 9), (10 ** 9, 8)):
        with mock.patch.object(ngrok_cmdline, "_MANY_ARGS", 0), \
                mock.patch.object(ngrok_cmdline, "_REPEATED", repeated), \
                mock.patch.object(ngrok_cmdline, "_FLAG_SHARE", flag_share):
            _same_decisions(line)


@settings(max_examples=200, deadline=None)
@given(long_argument_lines())
def test_long_argument_lists_decide_as_the_word_by_word_walks(line):
    _same_decisions(line)


def test_a_printable_text_holds_no_separator_but_the_space():
    # ngrok_cmdline._argv_invocations cuts a printable text at spaces only: no other character \s matches, nor NUL,
    # is printable (the claim its str.isprintable shortcut rests on), whatever the Unicode tables of this Python.
    import re
    other_separator = re.compile(r"[^\S ]|\x00")
    assert not [character for character in map(chr, range(0x110000))
                if character.isprintable() and other_separator.match(character)]


# -- the parser's share (hparse): the shell reading of a text without operator characters, cut by one findall of
# the pieces (ngrok_cmdline._shell_words_and_separators), and the argv reading's words stripped of quotes by one
# split of the text without them (ngrok_cmdline._unquoted_words) --------------------------------------------------

WORDS_WITHOUT_OPERATORS = [fragment for fragment in FRAGMENTS if not any(character in fragment for character in
                                                                         "<>;&|")] + [
    "\\\r\n", "\\\r", "\\\r\nx", "x\\\n", "\\", "\"a b\"", "'a  b'", "\"x", "x'", "'", "''", "\"\"", "\x1e\"a",
    "\"a\x1eb\"", "\u2028", "\u3000", "\x85", "\"sh -c 'ngrok authtoken x' \"", "'bash -c \"ngrok tcp 22\"'"]


@st.composite
def lines_without_operators(draw):
    """Quotes, escapes, continuations and separators of every kind, no operator character; a separator or a word
    first and last; one separator between words or more."""
    words = draw(st.lists(st.sampled_from(WORDS_WITHOUT_OPERATORS), max_size=30))
    joiner = draw(st.sampled_from([" ", " ", "", "  ", "\x00", "\t", "\\\n"]))
    return draw(st.sampled_from(["", " ", "\\\n", "\x00"])) + joiner.join(words) + draw(st.sampled_from(["", " "]))


@st.composite
def single_spaced_lines(draw):
    """Words joined by single spaces (or not quite: a doubled space, a tab, NUL, a non-breaking space), quoted
    words and words made only of quotes among them, spaces around them or not, operators or not."""
    words = draw(st.lists(st.sampled_from(["a", "\"a", "a\"", "'a'", "\"", "'", "\"\"", "'\"'", "ngrok", "-c",
                                           "--authtoken", "x'", "\"bash", ">", "2>&1", "'>'", ";", "\u212a"]),
                          min_size=1, max_size=30))
    line = " ".join(words)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(line)))
        line = line[:at] + draw(st.sampled_from(["  ", "\t", "\x00", "\u00a0", " "])) + line[at:]
    return draw(st.sampled_from(["", " ", "  "])) + line + draw(st.sampled_from(["", " ", "  "]))


@settings(max_examples=500, deadline=None)
@given(st.one_of(lines_without_operators(), single_spaced_lines()))
def test_readings_cut_at_once_decide_as_the_word_by_word_walks(line):
    _same_decisions(line)
    with mock.patch.object(ngrok_cmdline, "_REMEMBERED_LENGTH", 0):
        _same_decisions(line)


def test_long_lines_of_each_reading_cut_at_once_decide_as_the_word_by_word_walks():
    for unit in ['sh -c "bash -c \'ngrok authtoken x\' " ', '"a" \'b\' c\\ d ', "\\\nngrok --authtoken 'x y' "]:
        for line in (unit * 300, " " + unit * 300, unit * 300 + "\x00x"):
            _same_decisions(line)


def test_lower_casing_makes_ngrok_and_slashes_only_of_what_the_case_blind_pattern_takes_for_them():
    # ngrok_cmdline._named_at looks for a word named ngrok* with a case-blind pattern ([ /]ngrok), not lower-casing
    # every word: every character lower-casing to one of n g r o k / is matched by the pattern's letter for it.
    import re
    missed = [character for character in map(chr, range(0x110000))
              if character.lower() in tuple("ngrok/")
              and not re.match("(?i)" + re.escape(character.lower()), character)]
    assert not missed
