"""Talking to a real Splunk through splunklib: connections, searches with their messages, REST entries, and SPL
that generates detection-shaped rows."""

import json
import time
from xml.etree import ElementTree

from splunklib import binding, client

APP_ID = "SA-ngrok-detection"
ERROR_LEVELS = ("ERROR", "FATAL")


def connect(host, port, username, password, app=None):
    """A splunklib Service: in the app's namespace when app is given (the app's macros, views and saved searches
    are visible there only), else in the default namespace."""
    return client.connect(host=host, port=port, scheme="https", username=username, password=password,
                          app=app, owner=username if app else None, verify=False, autologin=True)


class SplunkTarget(object):
    """The Splunk the tests talk to. In Docker mode, container is the SplunkContainer the suite started and image its
    image. ready_time is splunkd's clock (epoch) when the suite started using it, and startup_time when that splunkd
    had started: what was logged in between came from starting up, not from the tests."""

    def __init__(self, host, port, username, password, container=None, image=None):
        self.host, self.port, self.username, self.password = host, port, username, password
        self.container, self.image = container, image
        self.ready_time = self.startup_time = None

    def connect(self, app=None):
        return connect(self.host, self.port, self.username, self.password, app)

    def __str__(self):
        return "https://%s:%d" % (self.host, self.port)


class SearchOutcome(object):
    """What a search gave: its sid, result rows (dicts; multivalue fields as lists) and every message."""

    def __init__(self, spl, sid=None, rows=(), messages=(), job=None):
        self.spl, self.sid, self.rows, self.messages = spl, sid, list(rows), list(messages)
        self.job = job or {}  # the job's properties (search/jobs/<sid> content)

    @property
    def errors(self):
        return [text for level, text in self.messages if level in ERROR_LEVELS]

    def __repr__(self):  # pytest shows assertion messages that are not strings with repr()
        return "search %r (sid %s) gave %d row(s), messages %s" % (self.spl, self.sid, len(self.rows),
                                                                  self.messages)


def run_search(service, spl, timeout=300, **params):
    """Runs spl as a search job and waits for it.

    A search whose command fails while splunkd parses it (a chunked command answers getinfo then) is refused with
    an HTTP error; one that fails later ends as a failed job. Both come back as messages, never as an exception.
    Results are read as one JSON document: splunklib's JSONResultsReader keeps only the last of several messages.
    """
    try:
        job = service.jobs.create(spl, **params)
    except binding.HTTPError as error:
        return SearchOutcome(spl, messages=http_error_messages(error))
    deadline = time.monotonic() + timeout
    while True:
        content = json.loads(job.get(output_mode="json").body.read())["entry"][0]["content"]
        if content.get("isDone") in (True, "1") or content.get("dispatchState") in ("DONE", "FAILED"):
            break
        if time.monotonic() > deadline:
            job.cancel()
            raise AssertionError("search did not finish within %d s: %s" % (timeout, spl))
        time.sleep(0.5)
    messages = job_messages(content.get("messages"))
    rows = []
    try:
        body = job.results(output_mode="json", count=0).read()
    except binding.HTTPError as error:
        messages += http_error_messages(error)
    else:
        document = json.loads(body) if body.strip() else {}
        rows = document.get("results", [])
        messages += job_messages(document.get("messages"))
    unique = []
    for message in messages:
        if message not in unique:
            unique.append(message)
    return SearchOutcome(spl, job.sid, rows, unique, content)


def job_messages(raw):
    """(LEVEL, text) pairs from a job's or a results document's messages: a list of {type, text}, or a dict of
    level to text(s)."""
    if isinstance(raw, dict):
        found = []
        for level, texts in raw.items():
            for text in texts if isinstance(texts, list) else [texts]:
                found.append((level.upper(), str(text)))
        return found
    return [(str(item.get("type", "")).upper(), str(item.get("text", ""))) for item in raw or []
            if isinstance(item, dict)]


def http_error_messages(error):
    """Every message of an error reply (splunklib's own text keeps the first one only)."""
    body = error.body.decode("utf-8", "replace") if isinstance(error.body, bytes) else str(error.body or "")
    try:
        found = [(msg.get("type", "ERROR").upper(), msg.text or "")
                 for msg in ElementTree.fromstring(body).iter("msg")]
    except ElementTree.ParseError:
        try:
            found = job_messages(json.loads(body).get("messages"))
        except (ValueError, AttributeError):
            found = []
    return found or [("ERROR", str(error))]


def rest_entries(service, path, **query):
    """[(name, content)] of a REST collection, read as JSON; content["eai:acl"] is the entry's ACL (its app, owner,
    sharing) when the endpoint gives one."""
    document = json.loads(service.get(path, output_mode="json", count=0, **query).body.read())
    found = []
    for entry in document.get("entry", []):
        content = dict(entry.get("content") or {})
        if "acl" in entry:
            content.setdefault("eai:acl", entry["acl"])
        found.append((entry["name"], content))
    return found


def rest_content(service, path, **query):
    """The content of one REST entity, read as JSON."""
    entries = rest_entries(service, path, **query)
    assert len(entries) == 1, "%s: expected one entry, got %d" % (path, len(entries))
    return entries[0][1]


def is_true(value):
    """A Splunk boolean as REST returns it (JSON true, "1", "true")."""
    return value is True or str(value).strip().lower() in ("1", "true", "t", "yes")


def values(row, field):
    """A result field as a list (empty when absent: Splunk leaves out empty fields)."""
    value = row.get(field)
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def spl_string(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def rows_spl(rows):
    """SPL generating rows (dicts of str) in order: makeresults, a row number, then one eval per field."""
    fields = []
    for row in rows:
        for name in row:
            if name not in fields:
                fields.append(name)
    parts = ["| makeresults count=%d" % len(rows), "| streamstats count as it_row"]
    for name in fields:
        cases = ", ".join("it_row==%d, %s" % (number, spl_string(str(row[name])))
                          for number, row in enumerate(rows, 1) if name in row)
        parts.append("| eval %s=case(%s)" % (name, cases))
    parts.append("| fields - it_row")
    return " ".join(parts)


def eventually(check, timeout=60.0, interval=3.0):
    """Runs check, which asserts, until it passes; returns what it returns, or raises its last AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(interval)
