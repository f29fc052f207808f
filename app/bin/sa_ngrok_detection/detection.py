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

# ES risk configuration (upstream "rba"): risk objects and threat objects, each (field, type). Threat object types
# are values of contentctl's ThreatObjectType (splunk/contentctl, contentctl/objects/enums.py), which has
# parent_process_name, process_name and domain among others.
RISK_OBJECTS = (("dest", "system"), ("user", "user"))
THREAT_OBJECTS = (("parent_process_name", "parent_process_name"), ("process_name", "process_name"))

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

# Every field ngrokscore writes, in output order. Each is present on every row, even when empty. Its detection_id is
# always the upstream detection's id: the command is not told which saved search runs it. The risk events carry the
# id of the search that raised them (risk_events.RiskEventBuilder reads it by the alert's search_name).
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
            + [{"threat_object_field": field, "threat_object_type": kind} for field, kind in THREAT_OBJECTS])


# -- Beyond the upstream search (issue 12) ------------------------------------------------------------------------
# Three searches of the app's own, next to the upstream one: an extended variant of it that covers every tunnel verb
# and v3 form, one for a renamed or relocated ngrok agent, and ngrok's domains on the network (DNS, and network
# traffic where DNS is not collected). They share the upstream detection's MITRE mapping and analytic story, score
# with ngrokscore, and write risk events through ngrok_risk on the same host risk object (dest, type system), so the
# threshold rule adds up a host's process and network findings. They are not upstream detections: each has an id
# and version of its own. scripts/conf_generator.py renders their conf keys from the values below.

# ngrok's domains live in lookups, never in the SPL: the network searches and the renamed-binary search read them from
# there. As for the risk modifiers (docs/upgrades.md), the package never ships a file admins edit: the shipped rows are
# read-only defaults under a name that carries a digest of their content (lookups/ngrok_domains_default_<sha8>.csv,
# transforms [ngrok_domains_default]), so that changed defaults arrive where an upgrade keeps installed lookup files;
# the admin's rows live in lookups/ngrok_domains.csv (transforms [ngrok_domains]), which the package never contains.
# An admin row replaces the default row with the same domain (enabled=false switches a default off), a new domain
# adds one. Until the admin creates the file, the searches read the defaults alone.
DOMAINS_LOOKUP = "ngrok_domains"
DOMAINS_LOOKUP_FILE = "ngrok_domains.csv"
DOMAINS_DEFAULTS_LOOKUP = "ngrok_domains_default"
DOMAINS_DEFAULTS_FILE = "ngrok_domains_default_a9e98d44.csv"
DOMAIN_ROLES = ("agent", "crl", "update", "endpoint", "tcp-endpoint")
NO_MATCH = "no-match.sa-ngrok-detection.invalid"

# Every verb and v3 form that opens a tunnel or runs the agent (ngrok agent v3 CLI reference; issue 12).
ALL_VERBS_PATTERNS = PROCESS_PATTERNS + (
    "*tls*", "*tunnel*", "*service*", "*--url*", "*--domain*", "*--traffic-policy-file*",
)
# A renamed agent is recognised by a verb together with an agent flag ...
RENAMED_VERB_PATTERNS = ("* tcp *", "* http *", "* tls *", "* tunnel *", "* start *", "* service *")
RENAMED_FLAG_PATTERNS = (
    "*--authtoken*", "*--region*", "*--url*", "*--domain*", "*--label*", "*--log=*", "*--log *", "*--config*",
    "*--traffic-policy-file*", "*--remote-addr*", "*--hostname*", "*--subdomain*", "*ngrok.yml*",
)
# ... by ngrok's name in the binary's metadata ...
RENAMED_ORIGINAL_FILE_NAMES = ("ngrok", "ngrok.exe")
# ... or by ngrok's domains on its command line (the lookups' agent and endpoint domains), or by a file hash admins
# track in the lookup ngrok_binary_hashes. No hashes ship (ngrok's release hashes change with every release), so the
# package contains no file for it: lookups/ngrok_binary_hashes.csv (columns process_hash, enabled, description) is
# the admin's, absent until created, and an absent file selects nothing. CIM's process_hash often holds several
# hashes ("SHA256=...,MD5=..."), so a hash is matched anywhere in it.
HASHES_LOOKUP = "ngrok_binary_hashes"
HASHES_LOOKUP_FILE = "ngrok_binary_hashes.csv"
# The lookup files that hold admins' edits for the SPL (ngrokscore's own are lookup_files.ADMIN_FILES): never shipped.
ADMIN_LOOKUP_FILES = (DOMAINS_LOOKUP_FILE, HASHES_LOOKUP_FILE)

# A lookup file that does not exist yet (the admin's, on every new install): ``inputlookup`` with strict=false, its
# default, only warns and returns no rows ("If the lookup does not exist, a warning message is displayed (but no
# syntax error is generated)"; strict: "When set to false, many inputlookup error conditions return warning messages
# but do not otherwise cause the search to fail": Splunk's SPL search reference, inputlookup, 9.2 to Cloud 10.0).
# No option silences that warning. The ``lookup`` command, in contrast, fails the search on a definition whose file
# does not exist ("Could not construct lookup", seynur/DA-ESS-MitreContent issue #17), so the searches never run
# ``lookup`` on an admin definition: admin rows are read with inputlookup only, and ``strict`` is never set to true.


class Search(object):
    """One of the app's own searches: what the conf generator, the command's defaults and the README read."""

    mitre_techniques = MITRE_TECHNIQUES  # every search shares the upstream detection's mapping

    def __init__(self, **keys):
        self.__dict__.update(keys)

    def scoring(self, on_allowlist="drop", message=True):
        """The ngrokscore stage: the saved search drops allowlisted findings, the dashboard marks them. Drilldowns
        leave the message out: ES would fill its $field$ tokens from the notable before the search runs."""
        options = self.score_options
        if not message:
            options = options.split(' message="', 1)[0] if ' message="' in options else \
                ("" if options.startswith('message="') else options)
        return " ".join(part for part in ("ngrokscore on_allowlist=" + on_allowlist, options) if part)

    @property
    def base_score(self):
        return base_score(self.impact, self.confidence)

    def risk_settings(self):
        return ([{"risk_object_field": field, "risk_object_type": kind, "risk_score": self.base_score}
                 for field, kind in self.risk_objects]
                + [{"threat_object_field": field, "threat_object_type": kind} for field, kind in self.threat_objects])


def _processes_tstats(where):
    return (
        "| tstats `security_content_summariesonly` count min(_time) as firstTime max(_time) as lastTime "
        "from datamodel=Endpoint.Processes where %s by %s "
        "| `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)`"
        % (where, " ".join("Processes." + field for field in TSTATS_BY_FIELDS))
    )


def _quoted_list(patterns):
    return ", ".join('"%s"' % pattern for pattern in patterns)


def all_verbs_tstats():
    return _processes_tstats("Processes.process_name=%s Processes.process IN (%s)"
                             % (PROCESS_NAME, _quoted_list(ALL_VERBS_PATTERNS)))


def hashes_subsearch():
    """The enabled hashes of ngrok_binary_hashes as ``Processes.process_hash="*<hash>*"`` terms (ORed). The admin's
    file is absent until created: inputlookup then warns and returns no rows, which emptystr turns into a term
    nothing matches."""
    field = "Processes.process_hash"
    return ('[| inputlookup %s where enabled="true" | eval process_hash="*".process_hash."*" '
            '| rename process_hash as %s | fields %s | format emptystr="(%s=%s)"]'
            % (HASHES_LOOKUP, field, field, field, NO_MATCH))


def domain_rows_search():
    """The effective domain rows: the admin's (ngrok_domains, first, read with inputlookup so that an absent file
    only warns) over the shipped defaults (ngrok_domains_default), one row per domain, the admin's row winning (dedup
    keeps the first row of each domain: SPL search reference, dedup)."""
    return ("| inputlookup %s | inputlookup append=true %s | eval domain=lower(trim(domain)) | dedup domain"
            % (DOMAINS_LOOKUP, DOMAINS_DEFAULTS_LOOKUP))


def domains_subsearch(field, roles=None, around=""):
    """A subsearch that writes the enabled rows of the domains lookups (defaults and the admin's) as
    ``field="<pattern>"`` terms (ORed).

    The rows are filtered with ``where`` after merging (an admin row may switch a default off). Several roles are
    written as ORed equalities. A subsearch's rows become ``( ( field="a" ) OR ( field="b" ) )``, which tstats
    accepts in its where clause, ``*`` wildcards kept."""
    where = 'enabled="true"'
    if roles:
        where += " AND (%s)" % " OR ".join('role="%s"' % role for role in roles)
    wrap = ' | eval domain="%s".domain."%s"' % (around, around) if around else ""
    # With every row disabled the subsearch would be empty, which format writes as "NOT( )"; emptystr turns that into
    # a term nothing matches (.invalid is reserved, RFC 2606), so an emptied lookup never widens the search
    # (Splunk's SPL search reference, format, emptystr).
    return '[%s | where %s%s | rename domain as %s | fields %s | format emptystr="(%s=%s)"]' % (
        domain_rows_search(), where, wrap, field, field, field, NO_MATCH)


def renamed_tstats():
    # What the upstream search (and its extended variant) reports has process_name ngrok: excluded here, so
    # nothing is counted twice.
    where = (
        "NOT Processes.process_name=%s (Processes.original_file_name IN (%s) OR (Processes.process IN (%s) "
        "Processes.process IN (%s)) OR %s OR %s)"
        % (PROCESS_NAME, _quoted_list(RENAMED_ORIGINAL_FILE_NAMES), _quoted_list(RENAMED_VERB_PATTERNS),
           _quoted_list(RENAMED_FLAG_PATTERNS),
           domains_subsearch("Processes.process", roles=("agent", "endpoint", "tcp-endpoint"), around="*"),
           hashes_subsearch())
    )
    return _processes_tstats(where)


NETWORK_MESSAGE = "Host $dest$ looked up ngrok $ngrok_domain_role$ domain $query$"


def admin_role_expression():
    """A subsearch that writes the admin's enabled domain rows as one eval expression, ``case(like(lower(query),
    "<pattern>"), "<role>|<era>", ..., true(), null())``, in file order (the first matching row wins, as with the
    lookup's max_matches = 1), or ``null()`` when there are none or the file does not exist yet. It stands in for a
    ``lookup`` on the admin definition, which would fail the search while the file is absent (see above). Patterns
    keep only the characters of host names and ``*`` (which becomes like()'s ``%``), so a row can neither quote
    its way out of the expression nor add like()'s ``_`` wildcard. ``stats list()`` keeps at most 100 values by
    default (limits.conf ``list_maxsize``): rows past the 100th enabled admin row give no role (the finding still
    comes through, with the defaults' role if one matches)."""
    return ('[| inputlookup %s where enabled="true" '
            '| eval pattern=replace(replace(lower(domain), "[^a-z0-9.*-]", ""), "[*]", "%%"), '
            'value=replace(role, "[^A-Za-z0-9-]", "")."|".replace(coalesce(era, ""), "[^A-Za-z0-9-]", "") '
            '| where len(pattern) > 0 AND len(role) > 0 '
            '| eval clause="like(lower(query), \\"".pattern."\\"), \\"".value."\\"" '
            '| stats list(clause) as clauses '
            '| eval search=if(isnull(clauses), "null()", "case(".mvjoin(clauses, ", ").", true(), null())") '
            '| return $search]' % DOMAINS_LOOKUP)


def domain_role_lookup():
    """The role and era of the finding's domain, from an enabled row only: the admin's row first (an expression
    built from their file, see admin_role_expression), else the shipped defaults' row (``lookup`` on
    ngrok_domains_default, which always exists). The default lookup has max_matches = 1 (the first matching row in
    file order), and a disabled row may come before an enabled wildcard row that also matches. The lookup command
    matches a row only when every input field given matches (Splunk's SPL search reference, lookup:
    ``<lookup-field> [AS <event-field>]``, several allowed), so the constant ``true`` given for ``enabled`` leaves
    disabled rows out."""
    return ('eval ngrok_domain_enabled="true" | lookup %s domain as query enabled as ngrok_domain_enabled '
            "OUTPUT role as ngrok_domain_role era as ngrok_domain_era "
            "| eval ngrok_domain_admin=split(%s, \"|\") "
            "| eval ngrok_domain_role=coalesce(mvindex(ngrok_domain_admin, 0), ngrok_domain_role), "
            "ngrok_domain_era=coalesce(mvindex(ngrok_domain_admin, 1), ngrok_domain_era) "
            "| fields - ngrok_domain_enabled ngrok_domain_admin" % (DOMAINS_DEFAULTS_LOOKUP, admin_role_expression()))


def dns_tstats():
    return (
        "| tstats `security_content_summariesonly` count min(_time) as firstTime max(_time) as lastTime "
        "from datamodel=Network_Resolution where %s by DNS.src DNS.query "
        '| `drop_dm_object_name(DNS)` | rename src as dest '
        "| %s "
        "| `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)`"
        % (domains_subsearch("DNS.query"), domain_role_lookup())
    )


def traffic_tstats():
    # Network_Traffic's dest is a host name only where the source logs one (proxies, firewalls with URL or SNI
    # logging): the search matches those, as the query of the finding.
    return (
        "| tstats `security_content_summariesonly` count min(_time) as firstTime max(_time) as lastTime "
        "from datamodel=Network_Traffic where %s by All_Traffic.src All_Traffic.dest All_Traffic.dest_port "
        '| `drop_dm_object_name(All_Traffic)` | rename dest as query, src as dest '
        "| %s "
        "| `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)`"
        % (domains_subsearch("All_Traffic.dest"), domain_role_lookup())
    )


_PROCESS_THREATS = THREAT_OBJECTS
# The DNS and traffic findings name the looked-up domain in "query": a threat object of type domain.
_NETWORK_THREATS = (("query", "domain"),)
ALL_VERBS = Search(
    name="Linux Ngrok Reverse Proxy Usage - All Verbs", id="3f0f5c2e-8a4b-4d6e-9c1f-2b7a6e5d4c31", version=1,
    date="2026-11-28", type="Anomaly", data_sources=DATA_SOURCES, security_domain="endpoint",
    filter_macro="linux_ngrok_reverse_proxy_usage_all_verbs_filter", tstats=all_verbs_tstats,
    score_options="", findings_macro="ngrok_all_verbs_findings", impact=DEFAULT_IMPACT, confidence=DEFAULT_CONFIDENCE,
    message=DEFAULT_MESSAGE, risk_objects=RISK_OBJECTS, threat_objects=_PROCESS_THREATS,
    narrow='user="$user$" dest="$dest$"', objects=("user", "dest"),
)
RENAMED_MESSAGE = ("The ngrok agent ran under another name, $process_name$ ($process_path$), spawned from "
                   "$parent_process_name$ on endpoint $dest$ by user $user$")
RENAMED = Search(
    name="Linux Ngrok Agent Renamed or Relocated", id="8d2e4b71-5c3a-4f09-b6e8-1a9c7d3e2f54", version=1,
    date="2026-11-28", type="Anomaly", data_sources=DATA_SOURCES, security_domain="endpoint",
    filter_macro="linux_ngrok_agent_renamed_or_relocated_filter", tstats=renamed_tstats,
    score_options='message="%s"' % RENAMED_MESSAGE, findings_macro="ngrok_renamed_findings", impact=DEFAULT_IMPACT,
    confidence=DEFAULT_CONFIDENCE, message=RENAMED_MESSAGE, risk_objects=RISK_OBJECTS,
    threat_objects=_PROCESS_THREATS, narrow='user="$user$" dest="$dest$"', objects=("user", "dest"),
)
# A DNS lookup shows ngrok somewhere on the host, not that it runs: lower confidence than a process finding.
NETWORK_IMPACT, NETWORK_CONFIDENCE = 50, 80
_NETWORK_OPTIONS = 'impact=%d confidence=%d message="%s"' % (NETWORK_IMPACT, NETWORK_CONFIDENCE, NETWORK_MESSAGE)
DNS = Search(
    name="Ngrok Agent and Endpoint Domains in DNS", id="c41a7e93-2d6f-4b8a-a0e5-6f3b9d1c8e27", version=1,
    date="2026-11-28", type="Anomaly", data_sources=("Sysmon EventID 22", "Zeek DNS"),
    security_domain="network", filter_macro="ngrok_agent_and_endpoint_domains_in_dns_filter", tstats=dns_tstats,
    findings_macro="ngrok_dns_findings",
    score_options=_NETWORK_OPTIONS,
    impact=NETWORK_IMPACT, confidence=NETWORK_CONFIDENCE, message=NETWORK_MESSAGE,
    risk_objects=(("dest", "system"),), threat_objects=_NETWORK_THREATS, narrow='dest="$dest$"', objects=("dest",),
)
TRAFFIC = Search(
    name="Ngrok Agent and Endpoint Domains in Network Traffic", id="5b9e2c18-7f4d-4a63-8e0b-d2c6a1f7b395",
    version=1, date="2026-11-28", type="Anomaly", data_sources=("Network traffic with destination host names",),
    security_domain="network", filter_macro="ngrok_agent_and_endpoint_domains_in_network_traffic_filter",
    tstats=traffic_tstats, findings_macro="ngrok_traffic_findings",
    score_options=_NETWORK_OPTIONS,
    impact=NETWORK_IMPACT, confidence=NETWORK_CONFIDENCE, message=NETWORK_MESSAGE,
    risk_objects=(("dest", "system"),), threat_objects=_NETWORK_THREATS, narrow='dest="$dest$"', objects=("dest",),
)
EXTRA_SEARCHES = (ALL_VERBS, RENAMED, DNS, TRAFFIC)
# The upstream detection described as the others are, for what the risk events read (risk_events.RiskEventBuilder).
UPSTREAM = Search(name=DETECTION_NAME, id=DETECTION_ID, risk_objects=RISK_OBJECTS, threat_objects=THREAT_OBJECTS,
                  message=DEFAULT_MESSAGE)
# Every search that writes risk events through ngrok_risk (the ngrok_risk_events macro counts their ids).
RISK_SEARCHES = (UPSTREAM,) + EXTRA_SEARCHES
NETWORK_SEARCHES = (DNS, TRAFFIC)
PROCESS_SEARCHES = (ALL_VERBS, RENAMED)


def search_of(extra):
    """The scheduled search of one of the app's own searches: its tstats stage, ngrokscore, its filter macro."""
    return "%s | %s | `%s`" % (extra.tstats(), extra.scoring(), extra.filter_macro)


def findings_search(extra):
    """The dashboard's view of a search: the same findings with allowlisted ones marked instead of dropped."""
    return "%s | %s | `%s`" % (extra.tstats(), extra.scoring("mark"), extra.filter_macro)


def missed_by_upstream_filter():
    """A search filter that keeps the command lines upstream's process patterns do not match."""
    return "search NOT process IN (%s)" % _quoted_list(PROCESS_PATTERNS)


def search_named(search_name):
    """The search whose results an alert named ``search_name`` carries: one of RISK_SEARCHES by its saved-search
    name, else (an ad hoc run, a renamed copy) the upstream detection."""
    for search in RISK_SEARCHES:
        if search.name == search_name:
            return search
    return UPSTREAM
