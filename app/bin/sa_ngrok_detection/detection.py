"""The detection's metadata: the one place that names its id, MITRE mapping, message and scores.

Conf files, the command and the README are checked against this module by the test suite.
"""

DETECTION_ID = "bc84d574-708c-467d-b78a-4c1e20171f97"
DETECTION_NAME = "Linux Ngrok Reverse Proxy Usage"
ANALYTIC_STORY = "Reverse Network Proxy"

# (technique id, technique name), in the order upstream lists them.
MITRE_TECHNIQUES = (
    ("T1572", "Protocol Tunneling"),
    ("T1090", "Proxy"),
    ("T1102", "Web Service"),
)
MITRE_TACTIC = "Command And Control"
MITRE_TACTIC_ID = "TA0011"
KILL_CHAIN_PHASE = "Command and Control"
CIS_CONTROLS = ("CIS 10",)
NIST_CATEGORIES = ("DE.AE",)

DEFAULT_IMPACT = 50
DEFAULT_CONFIDENCE = 100
DEFAULT_MESSAGE = (
    "A reverse proxy was identified spawning from $parent_process_name$ - $process_name$ "
    "on endpoint $dest$ by user $user$"
)

DEFAULT_ALLOWLIST = "ngrok_allowlist.csv"
MODIFIERS_LOOKUP = "ngrok_risk_modifiers.csv"

# Every field ngrokscore writes, in output order. Each is present on every row, even when empty.
OUTPUT_FIELDS = (
    "risk_score",
    "risk_reasons",
    "risk_score_breakdown",
    "risk_message",
    "mitre_technique_id",
    "mitre_technique",
    "mitre_tactic",
    "mitre_tactic_id",
    "kill_chain_phase",
    "analytic_story",
    "detection_id",
    "allowlisted",
    "allowlist_reason",
    "ngrok_subcommand",
    "ngrok_target",
)

# Output fields that can hold several values (written with Splunk's __mv_ encoding).
MULTIVALUE_OUTPUT_FIELDS = ("risk_reasons", "mitre_technique_id", "mitre_technique")


def base_score(impact, confidence):
    """Upstream's risk formula: impact * confidence / 100, rounded half up to an integer."""
    return (impact * confidence + 50) // 100
