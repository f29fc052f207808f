"""The built ngrok_risk alert action, run as splunkd runs it, against a stand-in for splunkd's receiver."""

import gzip
import re

import pytest

from receiver_stand_in import SESSION_KEY, fields_of, parse_stash

from sa_ngrok_detection import alert, detection

SCORED = {
    "dest": "web-prod-03", "user": "www-data", "parent_process_name": "apache2", "process_name": "ngrok",
    "process": "/tmp/ngrok tcp 22 --authtoken 2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2", "risk_score": "100",
    "risk_message": "A reverse proxy was identified spawning from apache2 - ngrok on endpoint web-prod-03 by user "
                    "www-data",
    "risk_reasons": ["tunnel exposes a remote-admin port", "started by a web server"], "ngrok_subcommand": "tcp",
    "ngrok_target": "22", "allowlisted": "false",
    "risk_score_breakdown": "base 50 +30 remote_admin_port +20 suspicious_parent = 100",
}


def assert_clean(run):
    """Nothing secret in what the action printed or logged."""
    for text in (run.stderr, run.log):
        assert SESSION_KEY not in text
        assert "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2" not in text


def test_one_risk_event_per_risk_object_with_the_es_fields(stand_in, payload, run_action):
    rows = [SCORED,
            {"dest": ["db-01", "db-01.example.com"], "user": "root", "parent_process_name": "bash",
             "process_name": "ngrok", "process": "ngrok tcp 5432"},
            {"process": "ngrok version"}]
    run = run_action(payload(rows))
    assert run.code == alert.EXIT_OK, run.stderr
    [(path, query, headers, body)] = stand_in.accepted
    assert path == "/services/receivers/simple"
    # stash_new: Splunk splits it on the stash line breaker and indexes each piece as sourcetype stash.
    assert query == {"index": "risk", "sourcetype": "stash_new", "source": "Linux Ngrok Reverse Proxy Usage",
                     "host": "sh-01"}
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"  # as splunklib's Index.submit sends it
    assert headers["Authorization"] == "Splunk " + SESSION_KEY
    events = [fields_of(event) for event in stand_in.events()]
    assert [(e["risk_object"], e["risk_object_type"], e["orig_rid"]) for e in events] == [
        ("web-prod-03", "system", "0"), ("www-data", "user", "0"),
        ("db-01", "system", "1"), ("db-01.example.com", "system", "1"), ("root", "user", "1")]
    first = events[0]
    assert first["risk_score"] == "100" and events[2]["risk_score"] == "50"  # row's own score, else the default
    assert first["risk_message"] == SCORED["risk_message"]
    assert events[2]["risk_message"] == ("A reverse proxy was identified spawning from bash - ngrok on endpoint "
                                         "db-01, db-01.example.com by user root")
    assert first["threat_object"] == ["apache2", "ngrok"]
    assert first["threat_object_type"] == ["parent_process_name", "process_name"]
    assert first["search_name"] == "Linux Ngrok Reverse Proxy Usage"
    assert first["orig_sid"] == "scheduler__admin__search__RMD5_at_1"
    assert first["annotations.mitre_attack.mitre_technique_id"] == ["T1572", "T1090", "T1102"]
    assert first["annotations.mitre_attack.mitre_tactic"] == detection.MITRE_TACTIC
    assert first["detection_id"] == detection.DETECTION_ID
    assert first["process"] == "/tmp/ngrok tcp 22 --authtoken ********"
    assert first["risk_score_breakdown"] == SCORED["risk_score_breakdown"]
    assert len(set(e["risk_event_id"] for e in events)) == 5
    assert "1 results without a risk object (1 without a dest, 1 without a user)" in run.log
    assert "result 2 has neither a dest nor a user that names someone" in run.log
    assert "3 results, 5 risk events, 5 delivered, 0 not delivered, 0 unconfirmed, 0 possible duplicates" in run.log
    assert_clean(run)


def test_secrets_in_messages_are_masked(stand_in, payload, run_action):
    row = dict(SCORED, risk_message="ngrok --authtoken=abc123SECRET on web-prod-03")
    run = run_action(payload([row]))
    assert run.code == 0
    assert all("abc123SECRET" not in body for _, _, _, body in stand_in.accepted)
    assert fields_of(stand_in.events()[0])["risk_message"] == "ngrok --authtoken=******** on web-prod-03"


def test_values_with_quotes_and_newlines_stay_one_event(stand_in, payload, run_action):
    row = dict(SCORED, dest='evil"host', user="a\\b", risk_message='line1\nline2 "quoted" ==##~~##~~  '
               '1E8N3D4E6V5E7N2T9 ~~##~~##== tail')
    run = run_action(payload([row]))
    assert run.code == 0
    events = [fields_of(event) for event in stand_in.events()]
    # No value holds a double quote or a backslash (see risk_events): their full-width look-alikes stand in.
    assert [e["risk_object"] for e in events] == ["evil\uff02host", "a\uff3cb"]
    assert events[0]["risk_message"] == "line1 line2 \uff02quoted\uff02  tail"


def test_results_stream_in_batches_in_order_with_bounded_memory(stand_in, payload, run_action):
    # The same claim at 100,000 results is the robustness campaign's (tests/robustness/test_alert_faults.py).
    rows = [{"dest": "host-%05d" % i, "user": "u%d" % (i % 50), "parent_process_name": "bash",
             "process_name": "ngrok", "process": "ngrok tcp %d" % (1000 + i % 500), "risk_score": str(i % 101),
             "risk_reasons": ["a", "b"]} for i in range(3000)]
    run = run_action(payload(rows, batch_size="100"))
    assert run.code == 0, run.stderr[-2000:]
    assert len(stand_in.accepted) == 60
    events = stand_in.events()
    assert len(events) == 6000
    rids = [fields_of(event)["orig_rid"] for event in events[::2]]
    assert rids == [str(i) for i in range(3000)]
    assert run.peak_rss_kb is not None and run.peak_rss_kb < 120 * 1024, run.peak_rss_kb
    assert "3000 results, 6000 risk events, 6000 delivered, 0 not delivered" in run.log


def test_transient_failures_are_retried_with_backoff(stand_in, payload, run_action):
    stand_in.plan = lambda number: 503 if number <= 2 else "ok"
    run = run_action(payload([SCORED]))
    assert run.code == 0
    assert stand_in.requests == 3 and len(stand_in.events()) == 2
    assert run.log.count("attempt 1/3 failed (HTTP 503") == 1 and "attempt 2/3 failed (HTTP 503" in run.log
    assert "0 possible duplicates" in run.log


def test_a_lost_reply_can_only_duplicate_and_is_counted(stand_in, payload, run_action):
    stand_in.plan = lambda number: "lost" if number == 1 else "ok"
    run = run_action(payload([SCORED]))
    assert run.code == 0
    assert len(stand_in.events()) == 4  # the batch arrived twice
    assert "delivered after a lost reply: splunkd may have indexed it twice" in run.log
    assert "2 delivered, 0 not delivered, 0 unconfirmed, 2 possible duplicates" in run.log


@pytest.mark.parametrize("trouble", ["stall", "reset"])
def test_stalls_and_resets_are_retried(stand_in, payload, run_action, trouble):
    stand_in.plan = lambda number: trouble if number == 1 else "ok"
    run = run_action(payload([SCORED], timeout="1"))  # the stalled request never gets an answer at all
    assert run.code == 0, run.log
    # Under load a healthy answer may also take longer than a second and be retried: then the batch arrives again
    # and the log counts it. What holds on any machine: everything arrived, and nothing arrived uncounted.
    keys = [(e["orig_rid"], e["risk_object"]) for e in map(fields_of, stand_in.events())]
    assert set(keys) == {("0", "web-prod-03"), ("0", "www-data")}
    assert stand_in.requests >= 2 and "attempt 1/3 failed" in run.log
    duplicates = int(re.search(r"(\d+) possible duplicates", run.log).group(1))
    assert len(keys) - 2 <= duplicates


def test_undeliverable_events_fail_the_action_and_are_counted(stand_in, payload, run_action):
    stand_in.plan = lambda number: 503
    rows = [SCORED, dict(SCORED, dest="web-prod-04")]
    run = run_action(payload(rows, batch_size="2"))
    assert run.code == alert.EXIT_DELIVERY
    assert stand_in.requests == 4  # three attempts for the first batch, then one per batch: splunkd is unwell
    assert "failed 3 time(s) (HTTP 503" in run.log and "later batches get one attempt each" in run.log
    assert "4 risk events, 0 delivered, 4 not delivered, 0 unconfirmed" in run.log
    assert "4 of 4 risk events could not be delivered to index risk (4 not delivered, 0 unconfirmed) (exit code 6)" in run.log
    assert_clean(run)


def test_a_refusal_is_not_retried(stand_in, payload, run_action):
    stand_in.plan = lambda number: 403
    run = run_action(payload([SCORED]))
    assert run.code == alert.EXIT_DELIVERY and stand_in.requests == 1
    assert "refused by splunkd: HTTP 403" in run.log


def test_partial_failure_delivers_the_rest(stand_in, payload, run_action):
    stand_in.plan = lambda number: 500 if number in (1, 2, 3) else "ok"  # the first batch fails three times
    rows = [dict(SCORED, dest="h%d" % i, user="") for i in range(4)]
    run = run_action(payload(rows, batch_size="2"))
    assert run.code == alert.EXIT_DELIVERY
    assert [fields_of(e)["risk_object"] for e in stand_in.events()] == ["h2", "h3"]
    assert "4 risk events, 2 delivered, 2 not delivered" in run.log


# -- bad input: a clear error and a distinct exit code --------------------------------------------------------------

def test_not_run_as_an_alert_action(run_action):
    run = run_action(None, argv=())
    assert run.code == alert.EXIT_USAGE and "--execute" in run.stderr


@pytest.mark.parametrize("stdin, problem", [
    ("this is not json", "not JSON"),
    ("[1, 2]", "JSON list, not an object"),
    ('{"server_uri": "https://127.0.0.1:8089"}', "lacks results_file, session_key"),
])
def test_malformed_payloads(run_action, stdin, problem):
    run = run_action(None, raw_stdin=stdin)
    assert run.code == alert.EXIT_PAYLOAD and problem in run.log


def test_server_uri_must_be_http(payload, run_action):
    bad = dict(payload([SCORED]), server_uri="file:///etc/passwd")
    run = run_action(bad)
    assert run.code == alert.EXIT_PAYLOAD and "not an http(s) URL" in run.log


@pytest.mark.parametrize("name, value, problem", [
    ("index", "Risk Index", "param.index='Risk Index' is not an index name"),
    ("index", "../main", "is not an index name"),
    ("default_score", "101", "param.default_score='101' is not a whole number from 0 to 100"),
    ("batch_size", "0", "param.batch_size='0'"),
    ("max_attempts", "many", "param.max_attempts='many'"),
    ("verbose", "loud", "param.verbose='loud' is not true or false"),
])
def test_bad_parameters(stand_in, payload, run_action, name, value, problem):
    run = run_action(payload([SCORED], **{name: value}))
    assert run.code == alert.EXIT_PARAMETER and problem in run.log
    assert stand_in.requests == 0


def test_missing_results_file(payload, run_action, tmp_path):
    run = run_action(dict(payload([SCORED]), results_file=str(tmp_path / "gone.csv.gz")))
    assert run.code == alert.EXIT_RESULTS and "cannot open the results file" in run.log


@pytest.mark.parametrize("damage", ["not gzip", "truncated", "ragged row"])
def test_corrupt_results_files(stand_in, payload, run_action, tmp_path, damage):
    good = payload([dict(SCORED, dest="h%d" % i) for i in range(2000)], batch_size="100")
    path = good["results_file"]
    if damage == "not gzip":
        open(path, "wb").write(b"dest,user\nh1,u1\n")
    elif damage == "truncated":
        data = open(path, "rb").read()
        open(path, "wb").write(data[:len(data) // 2])
    else:
        with gzip.open(path, "wb") as handle:
            handle.write(b"dest,user\r\nh1,u1\r\nh2,u2,extra\r\n")
    run = run_action(good)
    assert run.code == alert.EXIT_RESULTS, run.log
    assert "results file" in run.log and "Traceback" not in run.log


def test_a_damaged_results_file_still_delivers_what_was_read_and_reports(stand_in, payload, run_action):
    job = payload([SCORED])
    with gzip.open(job["results_file"], "wb") as handle:
        handle.write(b"dest,user,risk_score\r\nh1,u1,90\r\nh2,u2,80\r\nh3,u3,70\r\nh4,u4\r\n")
    run = run_action(job)
    assert run.code == alert.EXIT_RESULTS
    assert [fields_of(e)["risk_object"] for e in stand_in.events()] == ["h1", "u1", "h2", "u2", "h3", "u3"]
    assert "3 results, 6 risk events, 6 delivered, 0 not delivered" in run.log


def test_a_row_with_thousands_of_risk_objects_is_batched_per_event(stand_in, payload, run_action):
    row = dict(SCORED, dest=["h%d" % i for i in range(3000)])
    run = run_action(payload([row], batch_size="500"))
    assert run.code == 0
    assert len(stand_in.events()) == 3001 and len(stand_in.accepted) == 7
    assert max(len(body) for _, _, _, body in stand_in.accepted) < 2 * 1024 * 1024


def test_a_bad_http_reply_is_retried_not_a_crash(stand_in, payload, run_action):
    stand_in.plan = lambda number: "garbage" if number == 1 else "ok"
    run = run_action(payload([SCORED]))
    assert run.code == 0 and "Traceback" not in run.log
    assert "possible duplicates" in run.log and len(stand_in.accepted) == 2


@pytest.mark.parametrize("change, problem", [
    ({"session_key": SESSION_KEY + "\n"}, "session_key is not a session key"),
    ({"server_uri": "https://127.0.0.1:99999"}, "is not an http(s) URL"),
])
def test_payload_values_are_checked_before_use(payload, run_action, change, problem):
    run = run_action(dict(payload([SCORED]), **change))
    assert run.code == alert.EXIT_PAYLOAD and problem in run.log
    assert SESSION_KEY not in run.log + run.stderr


def test_a_traceback_never_carries_the_session_key():
    import logging
    from sa_ngrok_detection.alert import make_logger
    logger = make_logger(None)
    logger.secret_filter.secrets.append(SESSION_KEY)
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(handler.format(record) if False else record)
    logger.addHandler(handler)
    try:
        raise ValueError("Invalid header value b'Splunk %s'" % SESSION_KEY)
    except ValueError:
        logger.exception("delivery failed")
    logger.removeHandler(handler)
    text = records[-1].getMessage()
    assert "Invalid header value" in text and SESSION_KEY not in text and "********" in text


# -- issue 9: non-Latin-1 text, redirects, slow receivers, injection, caps -----------------------------------------

WORLD = {"dest": "сервер-01.пример", "user": "用户-東京", "parent_process_name": "café-😀", "process_name": "ngrök",
         "process": "/tmp/ngrök tcp 22 --authtoken Ωmega2Xk9fQmZ1pLw8aNvR3tYcD7eHs --log /tmp/журнал",
         "risk_score": "80", "risk_message": "Ünïcödé – 東京 – עברית – 😀 on сервер-01", "ngrok_subcommand": "tcp",
         "ngrok_target": "22", "allowlisted": "false"}


def test_text_outside_latin_1_in_every_field_is_delivered_as_utf_8(stand_in, payload, run_action):
    rows = [WORLD, dict(WORLD, dest="plain-host", user="émile"), SCORED]
    job = dict(payload(rows), search_name="Détection ngrok – 東京", server_host="хост-sh", sid="scheduler_ü_1")
    run = run_action(job)
    assert run.code == alert.EXIT_OK, run.log
    assert "Traceback" not in run.log
    [(_, query, _, body)] = stand_in.accepted
    assert query["source"] == "Détection ngrok – 東京" and query["host"] == "хост-sh"
    events = [fields_of(event) for event in stand_in.events()]
    assert [e["risk_object"] for e in events] == ["сервер-01.пример", "用户-東京", "plain-host", "émile",
                                                  "web-prod-03", "www-data"]
    first = events[0]
    assert first["risk_message"] == WORLD["risk_message"]
    assert first["threat_object"] == ["café-😀", "ngrök"]
    assert first["process"] == "/tmp/ngrök tcp 22 --authtoken ******** --log /tmp/журнал"
    assert first["search_name"] == "Détection ngrok – 東京" and first["orig_sid"] == "scheduler_ü_1"
    assert "Ωmega2Xk9" not in body
    assert "6 delivered, 0 not delivered" in run.log


def test_a_search_name_that_is_not_valid_unicode_costs_nothing(stand_in, payload, run_action):
    job = dict(payload([SCORED]), search_name="broken \ud800 name")  # JSON can carry a lone surrogate
    run = run_action(job)
    assert run.code == alert.EXIT_OK, run.log
    assert [fields_of(e)["search_name"] for e in stand_in.events()] == ["broken \ufffd name"] * 2


def test_one_result_that_cannot_become_risk_events_costs_no_other_result(tmp_path, monkeypatch):
    """In process, with a fault injected into one result: the others are delivered, the failure is counted and
    logged without the result's values, and the exit code says so."""
    import logging
    from sa_ngrok_detection import risk_events

    real_events = risk_events.RiskEventBuilder.events

    def events(self, row, rid, risk_objects=None):
        if row.get("dest") == "bad-host":
            raise ValueError("cannot handle %s" % row["process"])
        return real_events(self, row, rid, risk_objects)

    monkeypatch.setattr(risk_events.RiskEventBuilder, "events", events)
    sent = []

    class Receiver(object):
        def __init__(self, *args):
            self.delivered = self.failed = self.unconfirmed = self.possible_duplicates = self.not_sent = 0

        def send(self, body, count, first_rid):
            sent.append(body.decode("utf-8"))
            self.delivered += count
            return True

    from receiver_stand_in import write_results
    rows = [dict(SCORED, dest="h%d" % i) for i in range(5)]
    rows[2] = dict(SCORED, dest="bad-host")
    job = {"results_file": write_results(tmp_path / "r.csv.gz", rows), "server_uri": "http://127.0.0.1:9",
           "session_key": SESSION_KEY, "sid": "s1", "search_name": "x", "configuration": {}}
    logger = alert.make_logger(str(tmp_path))
    with pytest.raises(alert.ActionError) as raised:
        alert.run(job, logger, receiver_factory=Receiver)
    for handler in logger.handlers:
        handler.flush()
    log = open(tmp_path / "var" / "log" / "splunk" / "ngrok_risk_modalert.log", encoding="utf-8").read()
    assert raised.value.code == alert.EXIT_RESULT_ROWS
    delivered = [fields_of(e)["risk_object"] for body in sent for e in parse_stash(body)]
    assert delivered == ["h0", "www-data", "h1", "www-data", "h3", "www-data", "h4", "www-data"]
    assert "result 2 could not be turned into risk events (ValueError at" in log
    assert "1 results that could not be turned into risk events" in log
    assert "2Xk9fQmZ1pLw8aNvR3tYcD7eHs_5uGbJ2" not in log and "bad-host" not in log
    logging.getLogger(alert.ACTION).handlers.clear()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_delivered(stand_in, payload, run_action, status):
    stand_in.plan = lambda number: status
    run = run_action(payload([SCORED]))
    assert run.code == alert.EXIT_DELIVERY and stand_in.requests == 1
    assert "refused by splunkd: HTTP %d" % status in run.log and "a redirect is not followed" in run.log
    assert "0 delivered, 2 not delivered" in run.log
    assert_clean(run)


def test_max_seconds_bounds_the_run_against_a_receiver_answering_one_byte_at_a_time(stand_in, payload, run_action):
    # The stand-in trickles for as long as the client listens: only the action's own limit can end the run, so
    # the run ending at all (well inside run_action's generous hang guard) is the proof, whatever the machine.
    stand_in.plan = lambda number: "trickle"
    rows = [dict(SCORED, dest="h%d" % i) for i in range(6)]
    run = run_action(payload(rows, batch_size="2", timeout="600", max_seconds="10", max_attempts="20"), timeout=300)
    assert run.code == alert.EXIT_DELIVERY, run.log
    assert "time limit reached (param.max_seconds=10)" in run.log
    assert "12 risk events, 0 delivered" in run.log and "12 of 12 risk events could not be delivered" in run.log


def test_risk_event_ids_are_stable_and_distinct(stand_in, payload, run_action):
    rows = [SCORED, dict(SCORED, user="root"), dict(SCORED, dest="www-data", user="www-data")]
    job = payload(rows)
    first = run_action(job)
    second = run_action(job)
    assert first.code == second.code == 0
    events = [fields_of(e) for e in stand_in.events()]
    ids = [e["risk_event_id"] for e in events]
    assert ids[:6] == ids[6:]  # the same search, result and risk object: the same id
    assert len(set(ids[:6])) == 6  # a host and a user of the same name in one result are still two events
    assert [(e["orig_rid"], e["risk_object_type"]) for e in events[4:6]] == [("2", "system"), ("2", "user")]


@pytest.mark.parametrize("placeholder", ["null", "NULL", " unknown ", "-", "N/A", "n/a", ""])
def test_values_that_are_not_identities_are_never_risk_objects(stand_in, payload, run_action, placeholder):
    rows = [dict(SCORED, user=placeholder, risk_message="", parent_process_name=placeholder),
            dict(SCORED, dest=placeholder, user=placeholder)]
    run = run_action(payload(rows))
    assert run.code == 0, run.log
    events = [fields_of(e) for e in stand_in.events()]
    assert [(e["risk_object"], e["risk_object_type"]) for e in events] == [("web-prod-03", "system")]
    assert events[0]["risk_message"] == ("A reverse proxy was identified spawning from unknown - ngrok on endpoint "
                                         "web-prod-03 by user unknown")
    assert events[0]["threat_object"] == "ngrok" and events[0]["threat_object_type"] == "process_name"
    assert "2 results, 1 risk events" in run.log
    assert "1 results without a risk object (1 without a dest, 2 without a user)" in run.log


def test_what_a_risk_event_carries_is_capped_and_never_cut_inside_a_mask(stand_in, payload, run_action):
    from sa_ngrok_detection import risk_events
    long_process = "ngrok tcp 22 " + "--log x " * 200 + "--authtoken " + "S" * 100 + " " + "y" * 5000
    row = dict(SCORED, process=long_process, risk_message="m" * 1971 + " --authtoken SECRETSECRET tail" * 100,
               parent_process_name=["p%d" % i for i in range(100)], dest="d" * 5000)
    run = run_action(payload([row]))
    assert run.code == 0, run.log
    event = fields_of(stand_in.events()[0])
    message = event["risk_message"]
    assert len(message) <= risk_events.MAX_MESSAGE_CHARS and message.endswith(risk_events.TRUNCATED)
    assert message == "m" * 1971 + " --authtoken " + risk_events.TRUNCATED  # the cut moved back before the mask
    assert "SECRET" not in "".join(b for _, _, _, b in stand_in.accepted)
    assert len(event["process"]) <= risk_events.MAX_VALUE_CHARS and "SSSS" not in event["process"]
    assert len(event["risk_object"]) == risk_events.MAX_VALUE_CHARS
    assert len(event["threat_object"]) == risk_events.MAX_VALUES + 1  # 20 parents, then the process name
    assert max(len(body) for _, _, _, body in stand_in.accepted) < 64 * 1024


@pytest.fixture
def tls_stand_in(tmp_path):
    import shutil
    import subprocess
    from receiver_stand_in import StandIn
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make the stand-in's self-signed certificate")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=splunkd.example"], check=True, capture_output=True)
    server = StandIn(tls_files=(cert, key))
    yield server
    server.close()


def test_https_with_a_self_signed_certificate_and_a_trickling_answer(tls_stand_in, payload, run_action):
    tls_stand_in.plan = lambda number: "trickle" if number == 1 else "ok"
    job = dict(payload([SCORED], timeout="1"), server_uri=tls_stand_in.uri)
    run = run_action(job)
    assert run.code == 0, run.log
    assert "attempt 1/3 failed" in run.log  # the trickling answer was cut by the request's own time limit
    assert {fields_of(e)["risk_object"] for e in tls_stand_in.events()} == {"web-prod-03", "www-data"}
    assert_clean(run)


def test_a_name_that_never_resolves_is_bounded_too_and_counts_as_not_sent(monkeypatch):
    """In process: name resolution takes no timeout of its own, so the action gives it only the request's time."""
    import logging
    import socket
    import threading

    never = threading.Event()
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: never.wait() and [])
    settings = alert.Settings({"timeout": "1", "max_attempts": "1"})
    receiver = alert.Receiver("https://splunkd.invalid:8089", SESSION_KEY, settings, "s", "h",
                              logging.getLogger("halert-test"))
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(receiver.send(b"x", 2, 0)), daemon=True)
    worker.start()
    worker.join(120)  # a hang guard only: the send gives up after its one-second limit
    never.set()
    assert outcome == [False]
    assert (receiver.failed, receiver.unconfirmed) == (2, 0)  # nothing can have reached splunkd
