"""The ``ngrok_risk`` alert action: writes ES-compatible risk events for every result of the detection.

splunkd runs ``bin/ngrok_risk.py --execute`` with a JSON payload on stdin (``results_file``, ``server_uri``,
``session_key``, ``sid``, ``search_name``, ``configuration``). The results are streamed from the gzipped CSV, turned
into risk events (``risk_events``) and delivered in batches to splunkd's own receiver,
``POST /services/receivers/simple`` (index from ``param.index``, sourcetype ``stash``, source the search name),
authenticated with the payload's session key.

Why the REST receiver and not spool files: it needs no write access to ``$SPLUNK_HOME/var/spool/splunk`` (which
Splunk Cloud does not give apps), it tells us whether each batch was accepted, so a failure is seen and retried
rather than lost in a file nobody reads, and a batch is indexed whole or not at all.

Exit codes (splunkd logs "Alert script returned error code N"): see the EXIT_* constants. Every failure is logged
to ``$SPLUNK_HOME/var/log/splunk/ngrok_risk_modalert.log`` and stderr. The session key is never logged.
"""

import csv
import gzip
import http.client
import json
import logging
import os
import re
import socket
import sys
import time
import zlib
from urllib.parse import urlsplit

from .fields import decode_mv
from .lookup_files import parse_bool
from .risk_events import RiskEventBuilder, stash_batch, stash_text

EXIT_OK = 0
EXIT_USAGE = 2  # not run as an alert action (--execute missing)
EXIT_PAYLOAD = 3  # the payload on stdin is not the JSON splunkd sends
EXIT_PARAMETER = 4  # a param.* value is invalid
EXIT_RESULTS = 5  # the results file is missing, unreadable or corrupt
EXIT_DELIVERY = 6  # some risk events could not be delivered
EXIT_INTERNAL = 7  # a bug

ACTION = "ngrok_risk"
LOG_FILE = ACTION + "_modalert.log"
DEFAULTS = {"index": "risk", "default_score": "50", "batch_size": "500", "max_attempts": "5", "timeout": "30",
            "backoff_ms": "500", "max_seconds": "480", "verbose": "false"}
_INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_SESSION_KEY = re.compile(r"^[\x21-\x7e]{1,4096}\Z")
csv.field_size_limit(64 * 1024 * 1024)


class ActionError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code


class _SecretFilter(logging.Filter):
    """Masks the session key in any log line, should one ever be formatted into a message."""

    def __init__(self):
        logging.Filter.__init__(self)
        self.secrets = []

    def filter(self, record):
        message = record.getMessage()
        if record.exc_info:
            # A traceback may quote the key (an exception about a header, say): format it here, masked.
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = record.exc_text = None
        for secret in self.secrets:
            message = message.replace(secret, "********")
        record.msg, record.args = message, None
        return True


def make_logger(splunk_home):
    logger = logging.getLogger(ACTION)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    formatter = logging.Formatter("%(asctime)s %(levelname)s " + ACTION + " pid=%(process)d %(message)s")
    handlers = [logging.StreamHandler(sys.stderr)]
    if splunk_home:
        log_dir = os.path.join(splunk_home, "var", "log", "splunk")
        try:
            os.makedirs(log_dir, exist_ok=True)
            handlers.append(logging.FileHandler(os.path.join(log_dir, LOG_FILE), encoding="utf-8"))
        except OSError as error:
            sys.stderr.write("%s: cannot write %s (%s); logging to stderr only\n" % (ACTION, log_dir, error))
    secret_filter = _SecretFilter()
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(secret_filter)
        logger.addHandler(handler)
    logger.secret_filter = secret_filter
    return logger


# -- payload and parameters ----------------------------------------------------------------------------------------

class Settings(object):
    def __init__(self, configuration):
        values = dict(DEFAULTS)
        values.update((key, "" if value is None else str(value)) for key, value in (configuration or {}).items())
        self.index = values["index"].strip()
        if not _INDEX_NAME.match(self.index):
            raise ActionError(EXIT_PARAMETER, "param.index=%r is not an index name (lowercase letters, digits, _ "
                                              "and -, starting with a letter or digit)" % values["index"])
        self.default_score = _whole_number("default_score", values["default_score"], 0, 100)
        self.batch_size = _whole_number("batch_size", values["batch_size"], 1, 10000)
        self.max_attempts = _whole_number("max_attempts", values["max_attempts"], 1, 20)
        self.timeout = _whole_number("timeout", values["timeout"], 1, 600)
        self.backoff = _whole_number("backoff_ms", values["backoff_ms"], 0, 60000) / 1000.0
        self.max_seconds = _whole_number("max_seconds", values["max_seconds"], 10, 3600)
        verbose = parse_bool(values["verbose"])
        if verbose is None:
            raise ActionError(EXIT_PARAMETER, "param.verbose=%r is not true or false" % values["verbose"])
        self.verbose = verbose


def _whole_number(name, text, low, high):
    text = text.strip()
    if text.isdigit() and text.isascii() and low <= int(text) <= high:
        return int(text)
    raise ActionError(EXIT_PARAMETER, "param.%s=%r is not a whole number from %d to %d" % (name, text, low, high))


def read_payload(stream):
    raw = stream.read()
    try:
        payload = json.loads(raw)
    except ValueError as error:
        raise ActionError(EXIT_PAYLOAD, "the payload on stdin is not JSON (%s); is payload_format = json set in "
                                        "alert_actions.conf?" % error)
    if not isinstance(payload, dict):
        raise ActionError(EXIT_PAYLOAD, "the payload on stdin is a JSON %s, not an object" % type(payload).__name__)
    missing = [key for key in ("results_file", "server_uri", "session_key") if not payload.get(key)]
    if missing:
        raise ActionError(EXIT_PAYLOAD, "the payload lacks %s" % ", ".join(missing))
    if not isinstance(payload.get("configuration", {}), dict):
        raise ActionError(EXIT_PAYLOAD, "the payload's configuration is not an object")
    parts = urlsplit(str(payload["server_uri"]))
    try:
        parts.port  # raises on a port that is not a number from 0 to 65535
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ActionError(EXIT_PAYLOAD, "the payload's server_uri %r is not an http(s) URL" % payload["server_uri"])
    if not isinstance(payload["session_key"], str) or not _SESSION_KEY.match(payload["session_key"]):
        raise ActionError(EXIT_PAYLOAD, "the payload's session_key is not a session key (printable, no spaces)")
    return payload


# -- results -------------------------------------------------------------------------------------------------------

def read_results(path):
    """Yields result rows (dicts, multivalue fields as lists) from the gzipped CSV, one at a time."""
    try:
        handle = gzip.open(path, "rt", encoding="utf-8", newline="")
    except OSError as error:
        raise ActionError(EXIT_RESULTS, "cannot open the results file %s (%s)" % (path, error.strerror or error))
    with handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                return
            pairs = [(index, name, header.index("__mv_" + name) if "__mv_" + name in header else None)
                     for index, name in enumerate(header) if not name.startswith("__mv_")]
            for values in reader:
                if len(values) != len(header):
                    raise ActionError(EXIT_RESULTS, "results file %s line %d has %d fields where the header has %d"
                                      % (path, reader.line_num, len(values), len(header)))
                row = {}
                for index, name, mv_index in pairs:
                    if mv_index is not None and values[mv_index]:
                        row[name] = decode_mv(values[mv_index])
                    else:
                        row[name] = values[index]
                yield row
        except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error) as error:
            raise ActionError(EXIT_RESULTS, "the results file %s is corrupt near line %d (%s: %s)"
                              % (path, reader.line_num, type(error).__name__, error))


# -- delivery ------------------------------------------------------------------------------------------------------

class Receiver(object):
    """POSTs batches of stash events to splunkd's /services/receivers/simple, retrying what may succeed later."""

    def __init__(self, server_uri, session_key, settings, source, host, logger, sleep=time.sleep):
        from splunklib import binding  # only the delivery needs splunklib

        parts = urlsplit(server_uri)
        self.binding = binding
        self.context = binding.Context(
            scheme=parts.scheme, host=parts.hostname, port=parts.port or (443 if parts.scheme == "https" else 80),
            token="Splunk " + session_key, handler=binding.handler(timeout=settings.timeout),
        )
        self.query = {"index": settings.index, "sourcetype": "stash", "source": source, "host": host}
        self.settings, self.logger, self.sleep = settings, logger, sleep
        # failed: certainly not indexed; unconfirmed: sent, but the reply was lost, so splunkd may have indexed it.
        self.delivered = self.failed = self.unconfirmed = self.possible_duplicates = 0
        # Once a batch has used up its attempts, splunkd is unwell: later batches get one attempt each until one
        # gets through, so that an outage ends the run, and its report, well within the alert's maxtime.
        self.degraded = False
        self.deadline = time.monotonic() + settings.max_seconds

    def send(self, events_text, count, first_rid):
        """Delivers one batch; returns True when splunkd accepted it."""
        reply_lost = False
        attempts = 1 if self.degraded or time.monotonic() > self.deadline else self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                self.context.post("/services/receivers/simple", body=events_text, **self.query)
            except self.binding.HTTPError as error:
                transient = error.status in (408, 429) or error.status >= 500
                problem = "HTTP %d %s" % (error.status, error.reason)
                if not transient:
                    self.logger.error("batch from result %d (%d events) refused by splunkd: %s; not retried",
                                      first_rid, count, problem)
                    break
            except (socket.timeout, ConnectionError, OSError, http.client.HTTPException) as error:
                # Refused: nothing was sent. Anything else may have been received before the reply was lost.
                reply_lost = reply_lost or not isinstance(error, ConnectionRefusedError)
                problem = "%s: %s" % (type(error).__name__, error)
            else:
                self.delivered += count
                self.degraded = False  # splunkd answers again: the next failure gets its full attempts
                if reply_lost:
                    self.possible_duplicates += count
                    self.logger.warning("batch from result %d (%d events) delivered after a lost reply: splunkd may "
                                        "have indexed it twice", first_rid, count)
                return True
            delay = min(60.0, self.settings.backoff * 2 ** (attempt - 1))
            if attempt < attempts and time.monotonic() + delay < self.deadline:
                self.logger.warning("batch from result %d (%d events) attempt %d/%d failed (%s); retrying in %.1f s",
                                    first_rid, count, attempt, attempts, problem, delay)
                self.sleep(delay)
            else:
                self.logger.error("batch from result %d (%d events) failed %d time(s) (%s); giving up%s", first_rid,
                                  count, attempt, problem, "" if self.degraded else
                                  "; later batches get one attempt each")
                self.degraded = True
                break
        if reply_lost:
            self.unconfirmed += count
            self.logger.error("batch from result %d (%d events) is unconfirmed: a reply was lost, so splunkd may "
                              "have indexed it", first_rid, count)
        else:
            self.failed += count
        return False


# -- the action ----------------------------------------------------------------------------------------------------

def run(payload, logger, receiver_factory=Receiver):
    settings = Settings(payload.get("configuration"))
    logger.secret_filter.secrets.append(str(payload["session_key"]))
    search_name = str(payload.get("search_name") or "")
    sid = str(payload.get("sid") or "")
    builder = RiskEventBuilder(search_name, sid, settings.default_score)
    source = builder.search_name
    host = str(payload.get("server_host") or socket.gethostname())
    receiver = receiver_factory(str(payload["server_uri"]), str(payload["session_key"]), settings, source, host,
                                logger)
    logger.info("sid=%s search_name=%r started: index=%s default_score=%d batch_size=%d", sid, search_name,
                settings.index, settings.default_score, settings.batch_size)

    rows = skipped = events = 0
    batch, batch_first = [], 0
    now = time.time()
    try:
        for rid, row in enumerate(read_results(str(payload["results_file"]))):
            rows += 1
            row_events = builder.events(row, rid)
            if not row_events:
                skipped += 1
                if skipped <= 10 or settings.verbose:
                    logger.warning("result %d has neither dest nor user: no risk object, no risk event", rid)
                continue
            for event in row_events:
                if not batch:
                    batch_first = rid
                batch.append(stash_text(event, now))
                events += 1
                if len(batch) >= settings.batch_size:
                    receiver.send(stash_batch(batch), len(batch), batch_first)
                    batch = []
    finally:
        # Also when the results file turns out damaged: what was read is delivered, and the summary says so.
        if batch:
            receiver.send(stash_batch(batch), len(batch), batch_first)
        logger.info("sid=%s finished: %d results, %d risk events, %d delivered, %d not delivered, %d unconfirmed, "
                    "%d possible duplicates, %d results without a risk object", sid, rows, events,
                    receiver.delivered, receiver.failed, receiver.unconfirmed, receiver.possible_duplicates, skipped)
    if receiver.failed or receiver.unconfirmed:
        raise ActionError(EXIT_DELIVERY, "%d of %d risk events could not be delivered to index %s (%d not "
                          "delivered, %d unconfirmed)" % (receiver.failed + receiver.unconfirmed, events,
                                                         settings.index, receiver.failed, receiver.unconfirmed))
    return EXIT_OK


def main(argv=None, stdin=None, environ=None):
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    logger = make_logger(environ.get("SPLUNK_HOME"))
    if len(argv) < 2 or argv[1] != "--execute":
        logger.error("run by splunkd as an alert action: %s --execute, with the payload on stdin", ACTION)
        return EXIT_USAGE
    try:
        payload = read_payload(stdin if stdin is not None else sys.stdin)
        return run(payload, logger)
    except ActionError as error:
        logger.error("%s (exit code %d)", error, error.code)
        return error.code
    except Exception:  # a bug: say so, with the traceback, and a code of its own
        logger.exception("internal error (exit code %d)", EXIT_INTERNAL)
        return EXIT_INTERNAL
