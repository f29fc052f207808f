"""The detection's metadata: the one place that names its id, upstream version, search, MITRE mapping, message and
scores.

The build renders every conf key that carries this metadata (the saved searches' search, ES correlation-search keys,
risk settings and drilldowns; scripts/conf_generator.py), the command reads it at run time, and the test suite checks
the README against it.
"""

DETECTION_ID = "bc84d574-708c-467d-b78a-4c1e20171f97"
DETECTION_NAME = "Linux Ngrok Reverse Proxy Usage"
ANALYTIC_STORY = "Reverse Network Proxy"
AUTHOR = "Michael Haag, Splunk"

# The upstream detection this app follows: Splunk security_content, detections/endpoint/
# linux_ngrok_reverse_proxy_usage.yml, version 10 of 2026-03-10 (status production, type Anomaly, data source
# "Sysmon for Linux EventID 1"). Every deliberate difference from it is listed in the README ("Differences from
# upstream ESCU"). Sources: the YAML of version 10 as mirrored at detect.michaelhaag.org/explore/<DETECTION_ID>
# (version, date, search) and br0k3nlab.com's LoFP page (the same 20-field search); the stored snapshot of
# splunk/security_content (2024-10-24) still has version 4, the 8-field search.
UPSTREAM_VERSION = 10
UPSTREAM_DATE = "2026-03-10"
UPSTREAM_DEPRECATED = False
DETECTION_TYPE = "Anomaly"
DATA_SOURCES = ("Sysmon for Linux EventID 1",)
SECURITY_DOMAIN = "endpoint"

# The tstats search. Upstream lists "*http*" twice; the second copy matches nothing the first does not.
PROCESS_NAME = "ngrok"
PROCESS_PATTERNS = ("*start*", "*--config*", "*http*", "*authtoken*", "*tcp*")
# Version 10 groups by the 20 standard Endpoint.Processes fields (version 4 used 8), in upstream's order.
TSTATS_BY_FIELDS = (
    "action", "dest", "original_file_name", "parent_process", "parent_process_exec", "parent_process_guid",
    "parent_process_id", "parent_process_name", "parent_process_path", "process", "process_exec", "process_guid",
    "process_hash", "process_id", "process_integrity_level", "process_name", "process_path", "user", "user_id",
    "vendor_product",
)
FILTER_MACRO = "linux_ngrok_reverse_proxy_usage_filter"
# What this app adds between upstream's ctime formatting and its filter macro: scoring, allowlisted findings dropped.
SCORING_STAGE = "ngrokscore on_allowlist=drop"

# ES risk configuration (upstream "rba"): risk objects with their type, threat objects.
RISK_OBJECTS = (("dest", "system"), ("user", "user"))
THREAT_OBJECTS = ("parent_process_name", "process_name")

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

# The app's own correlation search: an ES notable when one risk object's ngrok risk adds up to a threshold. It is
# not an upstream detection, so it has an id and version of its own.
NOTABLE_RULE_NAME = "Ngrok Risk Threshold Exceeded - Rule"
NOTABLE_RULE_LABEL = "Ngrok Risk Threshold Exceeded"
NOTABLE_RULE_ID = "cd8a8ee1-33c1-4837-80f2-73654010851b"
NOTABLE_RULE_VERSION = 1
NOTABLE_RULE_DATE = "2026-11-28"
NOTABLE_RULE_TYPE = "Correlation"

DEFAULT_ALLOWLIST = "ngrok_allowlist.csv"
MODIFIERS_LOOKUP = "ngrok_risk_modifiers.csv"

# Every field ngrokscore writes, in output order. Each is present on every row, even when empty.
OUTPUT_FIELDS = (
    "risk_score",
    "risk_reasons",
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


def tstats_search(where_extra="", by_fields=TSTATS_BY_FIELDS):
    """The detection's tstats stage with upstream's macros, up to and including the ctime formatting."""
    patterns = ", ".join('"%s"' % pattern for pattern in PROCESS_PATTERNS)
    where = "Processes.process_name=%s Processes.process IN (%s)" % (PROCESS_NAME, patterns)
    if where_extra:
        where += " " + where_extra
    return (
        "| tstats `security_content_summariesonly` count min(_time) as firstTime max(_time) as lastTime "
        "from datamodel=Endpoint.Processes where %s by %s "
        "| `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)`"
        % (where, " ".join("Processes." + field for field in by_fields))
    )


def detection_search():
    """The scheduled search: upstream's search with ngrokscore before the filter macro."""
    return "%s | %s | `%s`" % (tstats_search(), SCORING_STAGE, FILTER_MACRO)


def risk_settings():
    """action.risk.param._risk as upstream renders it: risk objects (with their score), then threat objects."""
    score = base_score(DEFAULT_IMPACT, DEFAULT_CONFIDENCE)
    return ([{"risk_object_field": field, "risk_object_type": kind, "risk_score": score} for field, kind in RISK_OBJECTS]
            + [{"threat_object_field": field, "threat_object_type": field} for field in THREAT_OBJECTS])
