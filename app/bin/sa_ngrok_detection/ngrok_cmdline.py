"""Understands an ngrok command line: which verb ran, what the tunnel exposes, which files and secrets it names.

Works for ngrok agent v3 (``--long`` flags) and the legacy v2 syntax (``-flag``), with the binary named ``ngrok``
or anything else (a renamed binary is still the first word), and with wrappers such as ``nohup`` or ``screen -dm``
in front of it. Never raises: a command line it cannot make sense of yields empty facts.
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

# Words in front of the ngrok binary that only launch it.
_WRAPPERS = frozenset(
    ["sudo", "nohup", "screen", "tmux", "setsid", "env", "exec", "timeout", "nice", "ionice", "stdbuf", "doas",
     "bash", "sh", "dash", "zsh", "busybox", "runuser", "su", "daemonize", "start-stop-daemon"]
)

_TUNNEL_VERBS = frozenset(["tcp", "http", "tls"])
# Verbs whose first positional word is an action ("service install", "config check").
_ACTION_VERBS = frozenset(["service", "config", "api"])

# Flags that take a separate value (``--flag value``); every other flag is treated as a switch
# unless written ``--flag=value``. Names without leading dashes, as both v2 (-x) and v3 (--x) spell them.
_VALUE_FLAGS = frozenset(
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

# A word, possibly with quoted parts; an unbalanced quote runs to the end of the line.
_WORD = re.compile(r"""(?:[^\s"']+|"[^"]*(?:"|$)|'[^']*(?:'|$))+""")
# Shell syntax that ends the ngrok command itself: "&", "&&", ";", "|", "||", redirections.
_SHELL_END = re.compile(r"^(?:&&?|;|\|\|?|\d*>.*|<.*)$")
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_QUOTES = re.compile(r"""["']""")
_PORT_AT_END = re.compile(r":(\d{1,5})(?:/.*)?$")
_DEFAULT_PORTS = {"http": "80", "https": "443", "tls": "443"}
_SECRET_ENV = re.compile(r"\bNGROK_(?:AUTHTOKEN|API_KEY)\s*=", re.IGNORECASE)


def split_words(command_line):
    """Splits a command line into words the way a POSIX shell would for plain quoting, never failing."""
    return [_QUOTES.sub("", word) for word in _WORD.findall(command_line)]


def _basename(word):
    return word.rstrip("/").rsplit("/", 1)[-1]


def _binary_index(words):
    """Index of the ngrok binary: the first word named ngrok*, else the first word that is not a wrapper,
    a flag of one, or an environment assignment (``NGROK_AUTHTOKEN=x ngrok ...``)."""
    candidates = [index for index, word in enumerate(words) if not _ENV_ASSIGNMENT.match(word)]
    for index in candidates:
        if _basename(words[index]).lower().startswith("ngrok"):
            return index
    for index in candidates:
        word = words[index]
        if _basename(word).lower() not in _WRAPPERS and not word.startswith("-"):
            return index
    return candidates[0] if candidates else 0


def target_port(target, subcommand):
    """The port a tunnel target points at: ``22``, ``host:22``, ``http://host:8080/x``; a bare http host is 80."""
    if not target:
        return ""
    if target.isdigit():
        return target
    match = _PORT_AT_END.search(target)
    if match:
        return match.group(1)
    scheme = target.split("://", 1)[0].lower() if "://" in target else subcommand
    return _DEFAULT_PORTS.get(scheme, "")


def parse(command_line):
    """Returns the NgrokInvocation for one command line (a ``str``); EMPTY when there is nothing to read."""
    if not command_line:
        return EMPTY
    words = split_words(command_line)
    if not words:
        return EMPTY
    start = _binary_index(words)
    binary, args = words[start], words[start + 1:]
    for end, word in enumerate(args):
        if _SHELL_END.match(word):
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
            if not has_inline_value and name in _VALUE_FLAGS and index < len(args):
                value = args[index]
                index += 1
            if name == "config":
                config_paths.extend(path for path in value.split(",") if path)
            elif name in _SECRET_FLAGS:
                has_secret = True
            elif name in _INFO_FLAGS and not info_verb:
                info_verb = _INFO_FLAGS[name]
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
