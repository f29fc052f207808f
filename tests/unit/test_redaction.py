"""Unit tests for sa_ngrok_detection.redaction.redact()."""

import pytest

from sa_ngrok_detection import redaction
from sa_ngrok_detection.redaction import MASK, redact

M = MASK
TOKEN = "2aBcD3eFgH4iJkL5mNoP6qRsT_7uVwXyZ8aBcD9eFgH0iJkL1mNoP"  # looks like an ngrok authtoken


def test_mask_is_not_empty_and_not_secret_like():
    assert MASK == "********"


EVERY_FORM = [
    # account credentials
    ("ngrok tcp 22 --authtoken X1", "ngrok tcp 22 --authtoken " + M),
    ("ngrok tcp 22 --authtoken=X1", "ngrok tcp 22 --authtoken=" + M),
    ("ngrok tcp 22 --authtoken = X1", "ngrok tcp 22 --authtoken = " + M),
    ("ngrok tcp 22 --authtoken\tX1", "ngrok tcp 22 --authtoken\t" + M),
    ("ngrok -authtoken X1 tcp 22", "ngrok -authtoken " + M + " tcp 22"),
    ("ngrok -authtoken=X1 tcp 22", "ngrok -authtoken=" + M + " tcp 22"),
    ("ngrok authtoken X1", "ngrok authtoken " + M),
    ("ngrok config add-authtoken X1", "ngrok config add-authtoken " + M),
    ("ngrok http 80 --api-key X1", "ngrok http 80 --api-key " + M),
    ("ngrok http 80 --api-key=X1", "ngrok http 80 --api-key=" + M),
    ("ngrok config add-api-key X1", "ngrok config add-api-key " + M),
    ("NGROK_AUTHTOKEN=X1 ngrok tcp 22", "NGROK_AUTHTOKEN=" + M + " ngrok tcp 22"),
    ("NGROK_API_KEY=X1 ngrok api endpoints list", "NGROK_API_KEY=" + M + " ngrok api endpoints list"),
    ("export NGROK_AUTHTOKEN=X1", "export NGROK_AUTHTOKEN=" + M),
    ("env NGROK_AUTHTOKEN = X1 ngrok", "env NGROK_AUTHTOKEN = " + M + " ngrok"),
    # tunnel secrets
    ("ngrok http 80 --basic-auth user:pass", "ngrok http 80 --basic-auth " + M),
    ("ngrok http 80 --basic-auth=user:pass", "ngrok http 80 --basic-auth=" + M),
    ("ngrok http -auth user:pass --region eu", "ngrok http -auth " + M + " --region eu"),
    ("ngrok http -auth=user:pass --region eu", "ngrok http -auth=" + M + " --region eu"),
    ("ngrok http 80 --oauth-client-secret S1", "ngrok http 80 --oauth-client-secret " + M),
    ("ngrok http 80 --oidc-client-secret S1", "ngrok http 80 --oidc-client-secret " + M),
    ("ngrok http 80 --verify-webhook-secret S1", "ngrok http 80 --verify-webhook-secret " + M),
    ("ngrok http 80 --verify-webhook-secret=S1", "ngrok http 80 --verify-webhook-secret=" + M),
]


@pytest.mark.parametrize("line, expected", EVERY_FORM, ids=[case[0] for case in EVERY_FORM])
def test_every_form_is_masked_keyword_kept(line, expected):
    assert redact(line) == expected


LETTER_CASE = [
    ("ngrok --AuthToken X1", "ngrok --AuthToken " + M),
    ("ngrok --AUTHTOKEN=X1", "ngrok --AUTHTOKEN=" + M),
    ("ngrok Config Add-AuthToken X1", "ngrok Config Add-AuthToken " + M),
    ("ngrok AUTHTOKEN X1", "ngrok AUTHTOKEN " + M),
    ("ngrok_authtoken=X1 ngrok", "ngrok_authtoken=" + M + " ngrok"),
    ("Ngrok_Api_Key=X1", "Ngrok_Api_Key=" + M),
    ("ngrok --Basic-Auth u:p", "ngrok --Basic-Auth " + M),
    ("ngrok --OAUTH-CLIENT-SECRET=s", "ngrok --OAUTH-CLIENT-SECRET=" + M),
]


@pytest.mark.parametrize("line, expected", LETTER_CASE, ids=[case[0] for case in LETTER_CASE])
def test_any_letter_case(line, expected):
    assert redact(line) == expected


QUOTED = [
    ('ngrok --authtoken "X1"', 'ngrok --authtoken "' + M + '"'),
    ("ngrok --authtoken 'X1'", "ngrok --authtoken '" + M + "'"),
    ('ngrok --authtoken="X1" tcp 22', 'ngrok --authtoken="' + M + '" tcp 22'),
    ("NGROK_AUTHTOKEN='X1' ngrok", "NGROK_AUTHTOKEN='" + M + "' ngrok"),
    ('ngrok --basic-auth "user:pa ss word" http 80', 'ngrok --basic-auth "' + M + '" http 80'),
    ("ngrok --basic-auth 'user:pa ss word' http 80", "ngrok --basic-auth '" + M + "' http 80"),
    ('ngrok config add-authtoken "a b c"', 'ngrok config add-authtoken "' + M + '"'),
    ('ngrok --authtoken=""', 'ngrok --authtoken="' + M + '"'),
    # unterminated quote: everything to the end of the text is the value
    ('ngrok --authtoken "X1 abc tcp 22', 'ngrok --authtoken "' + M),
    ("ngrok --authtoken 'X1 abc", "ngrok --authtoken '" + M),
]


@pytest.mark.parametrize("line, expected", QUOTED, ids=[case[0] for case in QUOTED])
def test_quoted_values(line, expected):
    assert redact(line) == expected


@pytest.mark.parametrize("secret_part", ["pa ss", "word", "user"])
def test_quoted_value_with_spaces_is_masked_whole(secret_part):
    assert secret_part not in redact('ngrok http 80 --basic-auth "user:pa ss word" --region eu')


def test_several_secrets_on_one_line():
    line = ("NGROK_AUTHTOKEN=e1 ngrok http 80 --authtoken a1 --api-key=k1 --basic-auth u1:p1 "
            "--oauth-client-secret o1 --oidc-client-secret=i1 --verify-webhook-secret 'w1'")
    expected = ("NGROK_AUTHTOKEN=%s ngrok http 80 --authtoken %s --api-key=%s --basic-auth %s "
                "--oauth-client-secret %s --oidc-client-secret=%s --verify-webhook-secret '%s'") % ((M,) * 7)
    assert redact(line) == expected
    assert redact(line).count(M) == 7


def test_same_flag_repeated():
    assert redact("--api-key=k1 --api-key=k2") == "--api-key=%s --api-key=%s" % (M, M)
    assert redact("ngrok authtoken X1 authtoken X2") == "ngrok authtoken %s authtoken %s" % (M, M)


@pytest.mark.parametrize(
    "template",
    [
        "ngrok tcp 22 --authtoken %s",
        "ngrok tcp 22 --authtoken=%s",
        "ngrok -authtoken %s tcp 22",
        "ngrok authtoken %s",
        "ngrok config add-authtoken %s",
        "ngrok config add-api-key %s",
        "ngrok api --api-key %s endpoints list",
        "NGROK_AUTHTOKEN=%s ngrok tcp 22",
        "NGROK_API_KEY=%s ngrok",
        "ngrok http 80 --basic-auth admin:%s",
        "ngrok http -auth admin:%s 80",
        "ngrok http 80 --oauth-client-secret %s",
        "ngrok http 80 --oidc-client-secret=%s",
        "ngrok http 80 --verify-webhook-secret %s",
        'ngrok --authtoken "%s"',
        "ngrok --authtoken '%s'",
        "ngrok --authtoken %s; ls",
        "ngrok --authtoken %s&",
        "ngrok --authtoken %s|tee",
    ],
)
def test_secret_never_appears_in_output(template):
    line = template % TOKEN
    result = redact(line)
    assert TOKEN not in result
    assert TOKEN[:8] not in result and TOKEN[-8:] not in result
    assert M in result


@pytest.mark.parametrize(
    "text",
    [
        "ngrok tcp 22",
        "ngrok http 8080 --region eu",
        "plain text",
        "sudo -u www ngrok start --all --config /tmp/a.yml",
    ],
)
def test_text_without_keywords_is_the_same_object(text):
    assert redact(text) is text


@pytest.mark.parametrize("text", ["", None])
def test_empty_and_none_come_back(text):
    assert redact(text) is text


NO_SECRET = [
    "the author wrote it",
    "authority and authorization",
    "ngrok http 80 --auth-something x",
    "ngrok http 80 --oauth google",
    "ngrok http 80 --oauth-client-id abc",
    "ngrok http 80 --oidc https://idp.example",
    "ngrok http 80 --verify-webhook github",
    "api docs, secret sauce",
    "ngrok tcp 22 --authtoken",  # the flag with no value
    "ngrok --authtoken=",
    "my_authtoken X1",  # not the flag, not the verb
    "a-authtoken X1",
    "--my-authtoken X1",
    "--authtoken_x Y",
    "--authtokenX Y",
    "MY_NGROK_AUTHTOKEN=X1",  # another variable
    "ngrok authtoken-from-env x",
]


@pytest.mark.parametrize("text", NO_SECRET)
def test_no_false_positive(text):
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "ngrok config add-authtoken --help",
        "ngrok config add-api-key -h",
        "ngrok authtoken --help",
        "ngrok tcp 22 --authtoken --log stdout",
    ],
)
def test_flag_values_are_not_masked(text):
    assert redact(text) == text


def test_a_value_written_with_equals_is_masked_even_when_it_looks_like_a_flag():
    # pflag takes whatever follows "=" as the value.
    assert redact("ngrok tcp 22 --basic-auth=--x") == "ngrok tcp 22 --basic-auth=%s" % M
    assert redact("ngrok http 80 --basic-auth -admin:S3cr3t") == "ngrok http 80 --basic-auth %s" % M


def test_value_runs_to_whitespace_shell_characters_included():
    # Sysmon logs argv joined with spaces, unquoted: a password may hold ; & | < >. Over-masking beats a leak.
    assert redact("ngrok --authtoken X1;ls") == "ngrok --authtoken %s" % M
    assert redact("ngrok --authtoken X1&") == "ngrok --authtoken %s" % M
    assert redact("ngrok http 80 --basic-auth admin:Pa55;w0rd") == "ngrok http 80 --basic-auth %s" % M
    assert redact("ngrok http 80 --basic-auth admin:a&b|c>d x") == "ngrok http 80 --basic-auth %s" % M


def test_comma_and_equals_inside_the_value_are_masked_too():
    assert redact("x --authtoken=X1=Y,Z") == "x --authtoken=" + M


def test_v2_verb_masks_the_next_word_even_in_prose():
    # The regex treats any "authtoken <word>" as the v2 verb: over-masking prose is the intended, safe side.
    assert redact("the author of authtoken docs") == "the author of authtoken " + M


def test_long_lines_are_masked_whole():
    # How fast: scripts/benchmark.py measures these shapes and worse (a test never depends on the machine's speed).
    lines = ["--authtoken " + "a" * 1_000_000, "--authtoken" + " " * 1_000_000, "auth " * 200_000,
             '--authtoken "' + "a" * 1_000_000, '--authtoken "' + " " * 40_000 + "x", "authtoken " * 200_000]
    results = [redact(line) for line in lines]
    assert results[0] == "--authtoken " + M
    assert results[1] == lines[1]
    assert results[2] == lines[2]
    assert results[3] == '--authtoken "' + M
    assert results[4] == '--authtoken "' + M
    assert results[5] == lines[5]  # a keyword right after a keyword is not a secret


LEAKS_NEXT_TO_QUOTES = [
    # (line, a fragment of the secret that must not be shown)
    ('ngrok --authtoken=abc"SECRETPART"', "SECRETPART"),
    ('ngrok --authtoken "abc"SECRETPART tcp 22', "SECRETPART"),
    ('ngrok --basic-auth user:pw"SECRET PART" http 80', "SECRET PART"),
    ("NGROK_AUTHTOKEN='abc'SECRETPART ngrok", "SECRETPART"),
]


@pytest.mark.parametrize("line, fragment", LEAKS_NEXT_TO_QUOTES, ids=[case[0] for case in LEAKS_NEXT_TO_QUOTES])
def test_secret_made_of_adjacent_quoted_parts_is_masked_whole(line, fragment):
    assert fragment not in redact(line)


LEAKS_AFTER_FLAG = [
    "ngrok config add-authtoken --config /etc/ngrok.yml " + TOKEN,
    "ngrok config add-authtoken --log stdout " + TOKEN,
    "ngrok authtoken -config=/etc/ngrok.yml " + TOKEN,
    "ngrok tcp 22 --authtoken --authtoken " + TOKEN,
]


@pytest.mark.parametrize("line", LEAKS_AFTER_FLAG)
def test_token_after_interspersed_flags_is_masked(line):
    assert TOKEN not in redact(line)


# ------------------------------------------------------------------------------------------------ properties

from hypothesis import given, settings, strategies as st  # noqa: E402

_TOKENS = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"),
                  min_size=12, max_size=60).filter(lambda token: "auth" not in token.lower())
_FORMS = st.sampled_from(["--authtoken %s", "--authtoken=%s", "-authtoken %s", "authtoken %s",
                          "config add-authtoken %s", "--api-key %s", "config add-api-key %s", "NGROK_AUTHTOKEN=%s",
                          "NGROK_API_KEY=%s", "--basic-auth u:%s", "-auth u:%s", "--oauth-client-secret %s",
                          "--oidc-client-secret=%s", "--verify-webhook-secret %s", '--authtoken "%s x"',
                          "--authtoken '%s'"])
_AROUND = st.sampled_from(["", "ngrok ", "sudo ngrok tcp 22 ", "nohup ./ngrok http 80 "])
_AFTER = st.sampled_from(["", " tcp 22", " --region eu", " &", "; ls", " > /dev/null 2>&1"])


@settings(max_examples=150, deadline=None, database=None)
@given(_TOKENS, _FORMS, _AROUND, _AFTER)
def test_generated_secrets_never_appear(token, form, before, after):
    line = before + form % token + after
    result = redact(line)
    assert token not in result
    assert M in result
    assert result.startswith(before)


# ------------------------------------------------------------------ issue 9 item 8: leaks, each with its neighbours

S = "S3cr3tV4lue_Zq9"  # a secret that occurs nowhere else on the lines


LEAK_CLASSES = [
    # quoted flag names (collectors that quote every argument)
    '"--authtoken" %s', "'--authtoken' %s", '"--authtoken" "%s"', '"--authtoken=%s"', "'-authtoken' %s",
    '"--api-key" %s', '"--basic-auth" "admin:%s"', '"--oauth-client-secret" %s', '"--authtoken"  %s tcp 22',
    'ngrok "config" "add-authtoken" "%s"', "ngrok 'authtoken' '%s'", '--"auth"token %s', "--auth\\token %s",
    # NUL-separated argv (/proc/<pid>/cmdline, auditd)
    "ngrok\x00tcp\x0022\x00--authtoken\x00%s", "ngrok\x00config\x00add-authtoken\x00%s",
    "ngrok\x00http\x0080\x00--basic-auth\x00admin:%s", "ngrok\x00authtoken\x00%s\x00",
    "NGROK_AUTHTOKEN=%s\x00ngrok\x00tcp\x0022",
    # a space inside an unquoted password (argv logged unquoted)
    "ngrok http 80 --basic-auth admin:correct %s", "ngrok http 80 --basic-auth admin:correct horse %s",
    "ngrok http 80 --basic-auth=admin:correct %s", "ngrok http -auth admin:pa %s 80",
    "ngrok api secrets create --name x --value my %s", "ngrok http 80 --basic-auth admin:a %s --region eu",
    # a redirection or other shell syntax between keyword and secret
    "ngrok authtoken > /dev/null %s", "ngrok authtoken 2> /dev/null %s", "ngrok authtoken >/dev/null %s",
    "ngrok authtoken < /dev/null %s", "ngrok config add-authtoken >> /tmp/log %s", "ngrok authtoken 2>&1 %s",
    "ngrok --authtoken > /dev/null %s tcp 22",
    # backslash-newline continuations
    "ngrok tcp 22 --authtoken \\\n%s", "ngrok tcp 22 --authtoken \\\n  %s", "ngrok config add-authtoken \\\n%s",
    "ngrok authtoken \\\r\n%s", "ngrok tcp 22 \\\n --authtoken=%s", "NGROK_AUTHTOKEN=\\\n%s ngrok",
    # URL user information, anywhere
    "ngrok http https://admin:%s@10.0.0.5:8443", "ngrok http http://%s@localhost:80",
    "ngrok http https://user:p@ss%s@host", "ngrok tcp 22 --proxy-url http://proxy:%s@10.0.0.1:3128",
    "ngrok tcp 22 --proxy-url=socks5://u:%s@proxy:1080", "sh -c 'ngrok http https://u:%s@h'",
    # credential headers
    'ngrok http 80 --request-header-add "Authorization: Bearer %s"',
    "ngrok http 80 --request-header-add Authorization: Bearer %s", "ngrok http 80 --request-header-add=Authorization:%s",
    'ngrok http 80 --request-header-add "X-Api-Key: %s"', "ngrok http 80 --request-header-add x-api-key:%s",
    'ngrok http 80 --request-header-add "Cookie: session=%s"', 'ngrok http 80 --request-header-add "X-Auth-Token:%s"',
    'ngrok http 80 --response-header-add "Set-Cookie: sid=%s; Path=/"',
    'ngrok http 80 --request-header-add "Authorization: Digest username=a, response=%s"',
    'ngrok http 80 --request-header-add "Proxy-Authorization: Basic %s"',
    # tokens in query strings (traffic policy URLs, presigned URLs)
    "ngrok http 80 --traffic-policy-url https://x.example/p.yml?token=%s",
    "ngrok http 80 --traffic-policy-url 'https://x.example/p.yml?a=1&access_token=%s'",
    "ngrok http 80 --traffic-policy-url https://b.s3.amazonaws.com/p.yml?X-Amz-Signature=%s&X-Amz-Expires=60",
    "ngrok http 80 --traffic-policy-url https://x.blob.core.windows.net/p.yml?sv=2022&sig=%s",
    "ngrok http 80 --traffic-policy-url=https://x.example/p.yml?key=%s#frag",
    # ngrok api secrets and keys
    "ngrok api secrets create --vault-id v --name db --value %s", "ngrok api secrets update --value=%s",
    "ngrok api ai-gateway-provider-keys create --value %s", "ngrok api credentials create --precomputed-token %s",
]


@pytest.mark.parametrize("form", LEAK_CLASSES, ids=[repr(form) for form in LEAK_CLASSES])
def test_no_secret_of_any_class_survives(form):
    result = redact(form % S)
    assert S not in result and S[:6] not in result and S[-6:] not in result, result
    assert M in result


KEPT = [
    # a word that is another flag's value is not a keyword: the port stays (issue 9 item 4)
    ("ngrok tcp --log authtoken 3389", "ngrok tcp --log authtoken 3389"),
    ("ngrok tcp --metadata add-authtoken 22", "ngrok tcp --metadata add-authtoken 22"),
    ("ngrok tcp --region eu --log authtoken 3389", "ngrok tcp --region eu --log authtoken 3389"),
    # "--authtoken=" has an empty value: the next word is the target
    ("ngrok tcp --authtoken= 22", "ngrok tcp --authtoken= 22"),
    # a redirection's file is not the secret, the word after it is
    ("ngrok authtoken > /dev/null X1", "ngrok authtoken > /dev/null " + M),
    # user information only, not the host or port
    ("ngrok http https://u:p@host:8443/x", "ngrok http https://" + M + "@host:8443/x"),
    ("ngrok http https://host:8443/a@b", "ngrok http https://host:8443/a@b"),
    # query parameters that are not credentials
    ("ngrok http 80 --traffic-policy-url https://x/p.yml?v=2&token=T", "ngrok http 80 --traffic-policy-url "
                                                                        "https://x/p.yml?v=2&token=" + M),
    # headers that are not credentials
    ('ngrok http 80 --request-header-add "X-Env: prod"', 'ngrok http 80 --request-header-add "X-Env: prod"'),
    ("ngrok http localhost:8080", "ngrok http localhost:8080"),
    # the value of a secret that may hold spaces ends at the next flag
    ("ngrok http 80 --basic-auth admin:correct horse --region eu",
     "ngrok http 80 --basic-auth " + M + " --region eu"),
    ('ngrok http --basic-auth "admin:correct horse" 80', 'ngrok http --basic-auth "' + M + '" 80'),
]


@pytest.mark.parametrize("line, expected", KEPT, ids=[case[0] for case in KEPT])
def test_only_secret_values_are_masked(line, expected):
    assert redact(line) == expected


@pytest.mark.parametrize("form", LEAK_CLASSES[:20], ids=[repr(form) for form in LEAK_CLASSES[:20]])
def test_split_across_multivalue_values_no_secret_survives(form):
    from sa_ngrok_detection.redaction import redact_values
    line = form % S
    words = line.replace("\x00", " ").split(" ")
    values = [" ".join(words[:len(words) // 2]), " ".join(words[len(words) // 2:])]
    assert S not in "".join(redact_values(values))


@pytest.mark.parametrize("line", ["ngrok http https://x@https://user:%s@host" % S, "https://a:b@x/?r=https://u:%s@h" % S,
                                  "ngrok http 80 --traffic-policy-url https://x/p?a=1?token=%s" % S,
                                  "ngrok http 80 --traffic-policy-url https://x/p?next=https://y/?sig=%s" % S])
def test_credentials_nested_in_other_urls_are_masked(line):
    assert S not in redact(line)


# A keyword split by quotes, escapes or a continuation is joined again by the shell (bash runs
# `ngrok --a\uthtoken X` as `ngrok --authtoken X`): no trigger word appears as written, yet the secret is masked.
SPLIT_KEYWORDS = [
    "ngrok tcp 22 --a\\uthtoken XYZ9",
    'ngrok tcp 22 --"a"p"i"-k"e"y XYZ9',
    "ngrok tcp 22 --a'pi'-k'ey' XYZ9",
    "ngrok tcp 22 --a\\\npi-k\\\ney XYZ9",
    "ngrok a\\uthto\\ken XYZ9",
    "ngrok config add-a\\pi-k\\ey XYZ9",
]


@pytest.mark.parametrize("line", SPLIT_KEYWORDS, ids=[repr(line) for line in SPLIT_KEYWORDS])
def test_keyword_split_by_quotes_or_escapes_still_masks_its_secret(line):
    assert "XYZ9" not in redact(line)


def test_command_strings_past_the_reading_limit_are_masked_whole_never_leaked():
    # Each distinct command string is read as a command line of its own, up to COMMAND_STRINGS_READ per text; past
    # that (a hostile line of tens of thousands) a string that any rule could apply to is masked whole.
    limit = redaction.COMMAND_STRINGS_READ
    strings = ["sh -c \"bash -c 'ngrok authtoken Tok%06dSecretValue' \"" % number for number in range(limit + 50)]
    plain = "sh -c 'echo harmless words here'"
    line = " ".join(strings + [plain])
    masked = redaction.redact(line)
    assert "SecretValue" not in masked
    assert masked.endswith(plain)  # nothing to mask: kept as written
    # Within the limit the strings are read word by word (only the token is masked).
    assert masked.startswith("sh -c \"bash -c 'ngrok authtoken ********' \"")
    assert "sh -c \"********\"" in masked  # past it: the whole string


# The fast exit (no trigger word: the text comes back untouched) and the full scan decide alike: what is masked in a
# text never depends on an unrelated trigger word elsewhere. "apikey ;" holds two trigger words, masks nothing itself
# and ends any command, flag value or keyword before the text in both readings; so the text must come out the same
# behind it as alone. Look-alike letters (the long s, the Kelvin sign, dotless i) fold to ASCII letters only in
# Unicode case folding: names spelled with them are credential names for neither the fast exit nor the scans.
_UNRELATED = "apikey ; "
_PIECES = st.sampled_from([
    "x", "v", " ", "  ", "\t", "\x00", '"', "'", "\\", ":", ": ", "=", "?", "&", "@", "/", "#", "https://", "-",
    "--", ";", "|", ">", "X-Amz-Date", "x-goog-date", "X-AMZ-", "\u017fession", "\u017fig", "\u212aey", "co\u212aie",
    "coo\u212aie", "\u0131", "AP\u0131_KEY", "to\u212aen", "Authorization", "Bearer", "ba\u017fic", "Cookie", "code",
    "sig", "key", "session", "Secret", "pwd", "passw", "credential", "token", "auth", "NGROK_AUTHTOKEN",
    "ngro\u212a_api_\u212aey", "--authtoken", "authtoken", "--basic-auth", "--value", "--log", "u:p@h",
])


_NAMES = st.sampled_from(["X-Amz-Date", "x-goog-meta", "X-AMZ-x", "\u017fession", "\u017fig", "\u212aey",
                          "Coo\u212aie", "\u0131", "Ap\u0131key", "To\u212aen", "x-\u0430mz-a", "Host", "sig", "Key"])
# A header or query parameter name (most often one that only Unicode folding or no trigger word would make a
# credential name) with its value, among random pieces.
_NAMED_VALUES = st.tuples(st.lists(_PIECES, max_size=4).map("".join), st.sampled_from(["", " ", "?", "&", "x?"]),
                          _NAMES, st.sampled_from([": ", ":", "=", " :\t"]),
                          st.sampled_from(["v", "Bearer v", "ba\u017fic v", '"a b"']),
                          st.lists(_PIECES, max_size=4).map("".join)).map("".join)


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.lists(_PIECES, max_size=12).map("".join), _NAMED_VALUES))
def test_what_is_masked_does_not_depend_on_an_unrelated_trigger_word(text):
    assert redact(_UNRELATED + text) == _UNRELATED + redact(text), text


@pytest.mark.parametrize("text", ["X-Amz-Date: v", "x-goog-meta: v", "?X-Amz-Date=v", "&x-goog-signature=v",
                                  "\u017fession: v", "\u212aey: v", "?\u017fession=v", "Co\u212aie: v"])
def test_amazon_and_google_names_and_look_alike_names_alone(text):
    masked = redact(text)
    assert masked == redact(_UNRELATED + text)[len(_UNRELATED):]
    if "\u017f" in text:
        assert masked == text  # the long s is not an s: not a credential name, with or without other words
    elif "amz" in text.lower() or "goog" in text.lower():
        assert masked.endswith(MASK), masked
