"""Understands an ngrok command line: which verb ran, what the tunnel exposes, which files and secrets it names.

Works for ngrok agent v3 (``--long`` flags) and the legacy v2 syntax (``-flag``), with the binary named ``ngrok``
or anything else (a renamed binary is the first word after any launchers), with launchers such as ``nohup``,
``sudo -u www``, ``screen -dmS x`` or ``sh -c "..."`` in front of it, and with shell syntax after it. Never raises:
a command line it cannot make sense of yields empty facts.
"""

import re
from collections import namedtuple

NgrokInvocation = namedtuple(
    "NgrokInvocation",
    [
        "subcommand",  # the ngrok verb: tcp, http, tls, start, service, config, authtoken, version, help, ...
        "action",  # verb plus its action word where it has one: "service install", "config check"; else the verb
        "target",  # what the tunnel exposes, as written: "22", "localhost:8080"; "" when none
        "target_port",  # the port of the target as digits, "" when none can be told
        "arguments",  # the words after the binary, single-spaced (secrets still in: redact before showing)
        "paths",  # tuple: binary path when it has a directory, then every --config file
        "has_authtoken",  # True when an authtoken or API key is written on the command line
    ],
)

EMPTY = NgrokInvocation("", "", "", "", "", (), False)

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
_TUNNEL_VERBS = frozenset(["tcp", "http", "tls"])
# Verbs whose first positional word is an action ("service install", "config check").
_ACTION_VERBS = frozenset(["service", "config", "api"])

# ngrok flags that take a separate value (``--flag value``); every other flag is a switch unless written
# ``--flag=value``. Names without leading dashes, as both v2 (-x) and v3 (--x) spell them.
VALUE_FLAGS = frozenset(
    """config log log-level log-format authtoken api-key region url domain hostname subdomain remote-addr
    basic-auth auth host-header proto metadata description label oauth oauth-allow-domain oauth-allow-email
    oauth-scope oauth-client-id oauth-client-secret oidc oidc-client-id oidc-client-secret oidc-scope
    oidc-allow-domain oidc-allow-email cidr-allow cidr-deny circuit-breaker request-header-add
    request-header-remove response-header-add response-header-remove verify-webhook verify-webhook-secret
    ua-filter-allow ua-filter-deny traffic-policy-file traffic-policy-url policy-file upstream-protocol
    upstream-tls-verify-cas crt key client-cas mutual-tls-cas terminate-at binding scheme app-protocol
    bind-tls inspect-db-cap web-addr proxy-url connect-url""".split()
)
_SECRET_FLAGS = frozenset(["authtoken", "api-key"])  # ngrok account credentials
_INFO_FLAGS = {"help": "help", "h": "help", "version": "version", "v": "version"}

# A shell word (quoted parts, escapes, plain characters), or a shell operator. Digits right before < or >
# belong to the redirection ("2>&1").
_WORD = re.compile(
    r"""\d+(?=[<>])[<>]+&?-?\d*"""
    r"""|(?:\\.|"[^"]*(?:"|$)|'[^']*(?:'|$)|[^\s"'\\;&|<>])+"""
    r"""|[;&|]+|[<>]+&?-?\d*"""
)
_QUOTED_PART = re.compile(r"""\\(.)|"([^"]*)"?|'([^']*)'?|([^"'\\]+)""", re.DOTALL)
_OPERATOR = re.compile(r"^(?:[;&|]+|\d*[<>].*)$")
_CONTROL = re.compile(r"^[;&|]+$")  # ends one command and starts the next
_TRUE = frozenset(["", "true", "t", "1"])
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SECRET_ENV = re.compile(r"\bNGROK_(?:AUTHTOKEN|API_KEY)\s*=", re.IGNORECASE)
_PORT_AT_END = re.compile(r":(\d{1,5})(?:/.*)?$", re.ASCII)
_ASCII_PORT = re.compile(r"^\d{1,5}$", re.ASCII)
_DEFAULT_PORTS = {"http": "80", "https": "443", "tls": "443"}


def _unquote(word):
    """Removes shell quoting from one word: "a b" -> a b, 'it"s' -> it"s, a\\ b -> a b."""
    if not any(char in word for char in "\"'\\"):
        return word
    return "".join(escaped or double or single or plain or ""
                   for escaped, double, single, plain in _QUOTED_PART.findall(word))


def split_words(command_line):
    """Splits a command line into words as a POSIX shell would for plain quoting, never failing; shell operators
    (``;``, ``&&``, ``|``, ``>``, ``2>&1``) come out as words of their own."""
    return [word if _OPERATOR.match(word) else _unquote(word) for word in _WORD.findall(command_line)]


def _basename(word):
    return word.rstrip("/").rsplit("/", 1)[-1]


# Files ngrok reads or writes are named ngrok* too (ngrok.yml): such a word is never the binary, so a renamed agent
# started with "--config /x/ngrok.yml" is still read from its own first word.
_NGROK_FILE_SUFFIXES = (".yml", ".yaml", ".json", ".log", ".crl", ".asc", ".pem", ".txt")


def _named_ngrok(word):
    name = _basename(word).lower()
    return name.startswith("ngrok") and not name.endswith(_NGROK_FILE_SUFFIXES) \
        and not _ENV_ASSIGNMENT.match(word) and " " not in word.strip()


def _locate_binary(words):
    """(index of the ngrok binary, inner command line or None).

    The first word named ngrok* wins; otherwise launchers and their options are stepped over. A shell run with
    ``-c`` hands back its command string, to be parsed in its place.
    """
    for index, word in enumerate(words):
        if _named_ngrok(word):
            return index, None
    index = 0
    while index < len(words):
        word = words[index]
        name = _basename(word).lower()
        if _ENV_ASSIGNMENT.match(word):
            index += 1
            continue
        if name in _SHELLS:
            rest = words[index + 1:]
            for position, option in enumerate(rest):
                if option.startswith("-") and "c" in option[1:] and not option.startswith("--"):
                    return index, (rest[position + 1] if position + 1 < len(rest) else "")
            return (index + 1, None) if rest else (index, None)  # "sh script.sh": the script runs
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


def target_port(target, subcommand):
    """The port a tunnel target points at: ``22``, ``host:22``, ``http://host:8080/x``; a bare http host is 80."""
    if not target:
        return ""
    if _ASCII_PORT.match(target):
        return target if int(target) <= 65535 else ""
    match = _PORT_AT_END.search(target)
    if match:
        return match.group(1) if int(match.group(1)) <= 65535 else ""
    scheme = target.split("://", 1)[0].lower() if "://" in target else subcommand
    return _DEFAULT_PORTS.get(scheme, "")


def parse(command_line, _depth=0):
    """Returns the NgrokInvocation for one command line (a ``str``); EMPTY when there is nothing to read.

    On a compound line (``a; b``, ``a && b``, ``a | b``) this is the first command: see parse_all."""
    if not command_line:
        return EMPTY
    words = split_words(command_line)
    return _parse_words(words, command_line, _depth) if words else EMPTY


def parse_all(command_line):
    """Every command of a compound line that runs ngrok (``ngrok http 3000 & ngrok tcp 22`` shows its SSH tunnel
    too); when none is named ngrok*, the first command, taken as a renamed binary."""
    if not command_line:
        return []
    segments, current = [], []
    for word in split_words(command_line):
        if _CONTROL.match(word):
            segments.append(current)
            current = []
        else:
            current.append(word)
    segments.append(current)
    named = [words for words in segments if any(_named_ngrok(word) for word in words)]
    # Without any command named ngrok*, the first command is the (renamed) binary.
    chosen = named or [words for words in segments[:1] if words]
    return [_parse_words(words, " ".join(words), 0) for words in chosen]


def _parse_words(words, command_line, _depth):
    start, inner = _locate_binary(words)
    if inner is not None:
        return parse(inner, _depth + 1) if _depth < 3 else EMPTY
    binary, args = words[start], words[start + 1:]
    for end, word in enumerate(args):
        if _OPERATOR.match(word):
            args = args[:end]
            break

    subcommand = ""
    info_verb = ""
    positionals = []
    config_paths = []
    has_secret = bool(_SECRET_ENV.search(command_line))
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word.startswith("-") and len(word) > 1:
            name, has_inline_value, value = word.lstrip("-").partition("=")
            name = name.lower()
            if not has_inline_value and name in VALUE_FLAGS and index < len(args):
                value = args[index]
                index += 1
            if name == "config":
                config_paths.extend(path for path in value.split(",") if path)
            elif name in _SECRET_FLAGS:
                has_secret = True
            elif name in _INFO_FLAGS and not info_verb and (not has_inline_value or value.lower() in _TRUE):
                info_verb = _INFO_FLAGS[name]  # but --help=false turns help off: the tunnel runs
            continue
        if not subcommand:
            subcommand = word.lower()
        else:
            positionals.append(word)

    if subcommand == "authtoken" or (
        subcommand == "config" and positionals and positionals[0].lower() in ("add-authtoken", "add-api-key")
    ):
        has_secret = True
    if info_verb:
        # ngrok prints help or its version and exits, whatever else the line asks for.
        subcommand = info_verb
    action = subcommand
    if subcommand in _ACTION_VERBS and positionals and not info_verb:
        action = subcommand + " " + positionals[0].lower()
    target = positionals[0] if subcommand in _TUNNEL_VERBS and positionals else ""

    paths = tuple(([binary] if "/" in binary else []) + config_paths)
    return NgrokInvocation(
        subcommand=subcommand,
        action=action,
        target=target,
        target_port=target_port(target, subcommand),
        arguments=" ".join(args),
        paths=paths,
        has_authtoken=has_secret,
    )
