"""The built ngrok_risk alert action, run as splunkd runs it, against a stand-in for splunkd's receiver."""

import gzip

import pytest

from receiver_stand_in import SESSION_KEY, fields_of

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
    assert query == {"index": "risk", "sourcetype": "stash", "source": "Linux Ngrok Reverse Proxy Usage",
                     "host": "sh-01"}
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
    assert "1 results without a risk object" in run.log and "result 2 has neither dest nor user" in run.log
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
    assert [e["risk_object"] for e in events] == ['evil"host', "a\\b"]
    assert events[0]["risk_message"] == 'line1 line2 "quoted"  tail'


@pytest.mark.slow
def test_100000_results_stream_in_batches_with_bounded_memory(stand_in, payload, run_action):
    rows = [{"dest": "host-%05d" % i, "user": "u%d" % (i % 50), "parent_process_name": "bash",
             "process_name": "ngrok", "process": "ngrok tcp %d" % (1000 + i % 500), "risk_score": str(i % 101),
             "risk_reasons": ["a", "b"]} for i in range(100000)]
    run = run_action(payload(rows, batch_size="1000"))
    assert run.code == 0, run.stderr[-2000:]
    assert len(stand_in.accepted) == 200
    events = stand_in.events()
    assert len(events) == 200000
    rids = [fields_of(event)["orig_rid"] for event in events[::2]]
    assert rids == [str(i) for i in range(100000)]
    assert run.peak_rss_kb is not None and run.peak_rss_kb < 120 * 1024, run.peak_rss_kb
    assert "100000 results, 200000 risk events, 200000 delivered, 0 not delivered" in run.log


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
    run = run_action(payload([SCORED]))
    assert run.code == 0, run.log
    assert len(stand_in.accepted) == 1 and stand_in.requests == 2


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
