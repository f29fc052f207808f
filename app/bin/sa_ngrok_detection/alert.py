"""The ``ngrok_risk`` alert action: writes ES-compatible risk events for every result of the detection.

splunkd runs ``bin/ngrok_risk.py --execute`` with a JSON payload on stdin (``results_file``, ``server_uri``,
``session_key``, ``sid``, ``search_name``, ``configuration``). The results are streamed from the gzipped CSV, turned
into risk events (``risk_events``) and delivered in batches to splunkd's own receiver,
``POST /services/receivers/simple`` (index from ``param.index``, sourcetype ``stash_new``, which Splunk splits on the
stash line breaker and indexes as ``stash``; source the search name), authenticated with the payload's session key.
Bodies are UTF-8 (props.conf ``[default] CHARSET = UTF-8``).

One result that cannot be turned into risk events never costs another result its events: it is counted, logged
(its position and the kind of error, never its values) and reflected in the exit code (8).

Why the REST receiver and not spool files: it needs no write access to ``$SPLUNK_HOME/var/spool/splunk`` (which
Splunk Cloud does not give apps), it tells us whether each batch was accepted, so a failure is seen and retried
rather than lost in a file nobody reads, and a batch is indexed whole or not at all.

Exit codes (splunkd logs "Alert script returned error code N"): see the EXIT_* constants. Every failure is logged
to ``$SPLUNK_HOME/var/log/splunk/ngrok_risk_modalert.log`` and stderr. The session key is never logged.
"""

import csv
import gzip
import http.client
import io
import json
import logging
import os
import re
import socket
import ssl
import sys
import threading
import time
import zlib
from urllib.parse import urlencode, urlsplit

from .fields import decode_mv
from .lookup_files import parse_bool
from .risk_events import RISK_OBJECTS, SOURCETYPE, RiskEventBuilder, clean, stash_body, stash_text

EXIT_OK = 0
EXIT_USAGE = 2  # not run as an alert action (--execute missing)
EXIT_PAYLOAD = 3  # the payload on stdin is not the JSON splunkd sends
EXIT_PARAMETER = 4  # a param.* value is invalid
EXIT_RESULTS = 5  # the results file is missing, unreadable or corrupt
EXIT_DELIVERY = 6  # some risk events could not be delivered
EXIT_INTERNAL = 7  # a bug
EXIT_RESULT_ROWS = 8  # some results could not be turned into risk events (the others' were delivered)

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

class TimeLimit(socket.timeout):
    """The request's time (param.timeout) or the run's (param.max_seconds) is up."""


class NothingSent(OSError):
    """No connection was made (or its TLS handshake failed): splunkd cannot have received the batch."""


class _DeadlineSocket(object):
    """A connected socket whose every send and receive gives up at a fixed deadline, so that a server answering one
    byte at a time cannot hold a request longer than that (a socket timeout alone restarts with each byte)."""

    def __init__(self, sock, deadline):
        self.sock, self.deadline = sock, deadline

    def arm(self):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeLimit("no complete answer within the time limit")
        self.sock.settimeout(remaining)

    def sendall(self, data):
        view = memoryview(data).cast("B")
        while view:
            self.arm()
            sent = self.sock.send(view[:65536])
            view = view[sent:]

    def makefile(self, mode="rb", *args, **kwargs):
        return io.BufferedReader(_DeadlineReader(self))

    def close(self):
        pass  # http.client closes its connection before the answer is read; Receiver.post closes the socket


class _DeadlineReader(io.RawIOBase):
    def __init__(self, owner):
        io.RawIOBase.__init__(self)
        self.owner = owner

    def readable(self):
        return True

    def readinto(self, buffer):
        self.owner.arm()
        return self.owner.sock.recv_into(buffer)


def _connect(host, port, deadline):
    """A TCP connection made by the deadline: name resolution (which takes no timeout) runs in a helper thread."""
    found = {}

    def resolve():
        try:
            found["addresses"] = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except OSError as error:
            found["error"] = error

    resolver = threading.Thread(target=resolve, name="resolve " + host, daemon=True)
    resolver.start()
    resolver.join(max(0.0, deadline - time.monotonic()))
    if "error" in found:
        raise found["error"]
    if "addresses" not in found:
        raise TimeLimit("resolving %s took longer than the time limit" % host)
    problem = OSError("%s has no address" % host)
    for family, kind, protocol, _, address in found["addresses"]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeLimit("no connection within the time limit")
        sock = socket.socket(family, kind, protocol)
        try:
            sock.settimeout(remaining)
            sock.connect(address)
            return sock
        except OSError as error:
            sock.close()
            problem = error
    raise problem


def _tls_context():
    # Like splunklib by default (binding.handler, verify=False): splunkd's management port mostly serves Splunk's
    # self-signed default certificate, and server_uri is the one splunkd itself hands the action.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Receiver(object):
    """POSTs batches of stash events to splunkd's /services/receivers/simple, retrying what may succeed later.

    Only a 2xx answer counts as delivered (a redirect is not followed: nothing was indexed). Each request ends
    within param.timeout seconds and the whole run sends nothing after param.max_seconds, whatever the server
    does (each send and receive waits at most for what is left of the time)."""

    def __init__(self, server_uri, session_key, settings, source, host, logger, sleep=time.sleep):
        parts = urlsplit(server_uri)
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.path = "/services/receivers/simple?" + urlencode(
            {"index": settings.index, "sourcetype": SOURCETYPE, "source": source, "host": host})
        # The Content-Type splunklib (Index.submit) and curl -d send to this endpoint; splunkd reads the body raw,
        # decoded with the sourcetype's CHARSET (props.conf [default]: UTF-8).
        self.headers = {"Authorization": "Splunk " + session_key,
                        "Content-Type": "application/x-www-form-urlencoded", "Connection": "close"}
        self.tls = _tls_context() if self.scheme == "https" else None
        self.settings, self.logger, self.sleep = settings, logger, sleep
        # failed: certainly not indexed; unconfirmed: sent, but the reply was lost, so splunkd may have indexed it.
        self.delivered = self.failed = self.unconfirmed = self.possible_duplicates = 0
        self.not_sent = 0  # part of failed: never sent because the run's time was up
        # Once a batch has used up its attempts, splunkd is unwell: later batches get one attempt each until one
        # gets through, so that an outage ends the run, and its report, well within the alert's maxtime.
        self.degraded = False
        self.deadline = time.monotonic() + settings.max_seconds

    def post(self, body, deadline):
        """One request; returns (status, reason). Raises OSError (TimeLimit included) or HTTPException."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NothingSent("no time left for a request")
        try:
            sock = _connect(self.host, self.port, deadline)
        except OSError as error:
            raise NothingSent("no connection (%s: %s)" % (type(error).__name__, error))
        try:
            if self.tls is not None:
                try:
                    sock = self.tls.wrap_socket(sock, server_hostname=self.host, do_handshake_on_connect=False)
                    _DeadlineSocket(sock, deadline).arm()
                    sock.do_handshake()  # bounded as a whole by the socket's timeout (ssl module deadline)
                except OSError as error:
                    raise NothingSent("no TLS session (%s: %s)" % (type(error).__name__, error))
            connection = http.client.HTTPConnection(self.host, self.port)
            connection.sock = _DeadlineSocket(sock, deadline)
            connection.request("POST", self.path, body=body, headers=self.headers)
            response = connection.getresponse()
            response.read(65536)  # splunkd's answer is small; read a little of it so that the server is not cut off
            return response.status, response.reason
        finally:
            sock.close()

    def send(self, body, count, first_rid):
        """Delivers one batch (UTF-8 bytes); returns True when splunkd accepted it."""
        if time.monotonic() >= self.deadline:
            if not self.not_sent:
                self.logger.error("time limit reached (param.max_seconds=%d): the batch from result %d and every later "
                                  "one are not sent", self.settings.max_seconds, first_rid)
            self.not_sent += count
            self.failed += count
            return False
        reply_lost = False
        attempts = 1 if self.degraded else self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                status, reason = self.post(body, min(time.monotonic() + self.settings.timeout, self.deadline))
            except (OSError, http.client.HTTPException) as error:
                # No connection: nothing was sent. Anything else may have been received before the reply was lost.
                reply_lost = reply_lost or not isinstance(error, NothingSent)
                problem = "%s: %s" % (type(error).__name__, error)
            else:
                if 200 <= status < 300:
                    self.delivered += count
                    self.degraded = False  # splunkd answers again: the next failure gets its full attempts
                    if reply_lost:
                        self.possible_duplicates += count
                        self.logger.warning("batch from result %d (%d events) delivered after a lost reply: splunkd "
                                            "may have indexed it twice", first_rid, count)
                    return True
                problem = "HTTP %d %s" % (status, reason)
                if not (status in (408, 429) or status >= 500):
                    self.logger.error("batch from result %d (%d events) refused by splunkd: %s%s; not retried",
                                      first_rid, count, problem, " (a redirect is not followed: nothing was indexed)"
                                      if 300 <= status < 400 else "")
                    break
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

def _where(error):
    """file:line where an exception was raised: logged instead of its message, which may quote result values."""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    if trace is None:
        return "unknown place"
    return "%s:%d" % (os.path.basename(trace.tb_frame.f_code.co_filename), trace.tb_lineno)


def run(payload, logger, receiver_factory=Receiver):
    settings = Settings(payload.get("configuration"))
    logger.secret_filter.secrets.append(str(payload["session_key"]))
    # clean(): text that is not valid Unicode (JSON can carry lone surrogates) cannot be logged, sent or encoded.
    search_name = clean(str(payload.get("search_name") or ""))
    sid = clean(str(payload.get("sid") or ""))
    builder = RiskEventBuilder(search_name, sid, settings.default_score)
    source = builder.search_name
    host = clean(str(payload.get("server_host") or socket.gethostname()))
    receiver = receiver_factory(str(payload["server_uri"]), str(payload["session_key"]), settings, source, host,
                                logger)
    logger.info("sid=%s search_name=%r started: index=%s default_score=%d batch_size=%d", sid, search_name,
                settings.index, settings.default_score, settings.batch_size)

    rows = skipped = events = broken = 0
    without = {field: 0 for field, _ in RISK_OBJECTS}
    batch, batch_first = [], 0
    now = time.time()
    try:
        for rid, row in enumerate(read_results(str(payload["results_file"]))):
            rows += 1
            try:
                risk_objects = builder.risk_objects(row)
                encoded = [stash_text(event, now).encode("utf-8") for event in builder.events(row, rid, risk_objects)]
            except Exception as error:  # one result that cannot become risk events never costs the others theirs
                broken += 1
                if broken <= 10 or settings.verbose:
                    logger.error("result %d could not be turned into risk events (%s at %s); the other results are "
                                 "not affected", rid, type(error).__name__, _where(error))
                continue
            present = set(field for field, _, _ in risk_objects)
            for field in without:
                if field not in present:
                    without[field] += 1
            if not encoded:
                skipped += 1
                if skipped <= 10 or settings.verbose:
                    logger.warning("result %d has neither a dest nor a user that names someone (empty, null, -, N/A "
                                   "and unknown do not): no risk object, no risk event", rid)
                continue
            for text in encoded:
                if not batch:
                    batch_first = rid
                batch.append(text)
                events += 1
                if len(batch) >= settings.batch_size:
                    receiver.send(stash_body(batch), len(batch), batch_first)
                    batch = []
    finally:
        # Also when the results file turns out damaged: what was read is delivered, and the summary says so.
        if batch:
            receiver.send(stash_body(batch), len(batch), batch_first)
        logger.info("sid=%s finished: %d results, %d risk events, %d delivered, %d not delivered, %d unconfirmed, "
                    "%d possible duplicates, %d results without a risk object (%s), %d results that could not be "
                    "turned into risk events, %d risk events not sent because the time limit was reached", sid, rows,
                    events, receiver.delivered, receiver.failed, receiver.unconfirmed, receiver.possible_duplicates,
                    skipped, ", ".join("%d without a %s" % (count, field) for field, count in without.items()),
                    broken, receiver.not_sent)
    if receiver.failed or receiver.unconfirmed:
        raise ActionError(EXIT_DELIVERY, "%d of %d risk events could not be delivered to index %s (%d not "
                          "delivered, %d unconfirmed)%s" % (
                              receiver.failed + receiver.unconfirmed, events, settings.index, receiver.failed,
                              receiver.unconfirmed, "; %d results could not be turned into risk events" % broken
                              if broken else ""))
    if broken:
        raise ActionError(EXIT_RESULT_ROWS, "%d of %d results could not be turned into risk events; the risk events "
                          "of the others were delivered" % (broken, rows))
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
