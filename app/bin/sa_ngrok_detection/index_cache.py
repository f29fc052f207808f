"""Persists a parsed, indexed lookup between searches, so that a large allowlist costs its parsing once, not per
search process.

Every search starts a new ngrokscore process, on the search head and on each indexer, and a 10,000-entry allowlist
costs more to parse and index than the rest of the start-up together. The result is plain data (dicts, tuples,
strings, ints), written with ``marshal`` (fast, no code execution on load, unlike pickle) and keyed by:

* the lookup file's content (SHA-256 of its bytes), so an edited file, a new app version or a different knowledge
  bundle never reuses an old index;
* the date (expiry depends on it) and the file name (it appears in messages);
* this code (SHA-256 of the modules that parse and index) and the Python version, so an upgrade never reads an
  index in a shape it does not expect.

Where (the first that works):

1. ``$SPLUNK_HOME/var/run/SA-ngrok-detection/index-cache``: Splunk's own runtime folder, present and writable by
   the Splunk user on search heads and indexers alike, outside every app and knowledge bundle (a bundle is
   replaced whenever it changes, and an app folder may be read-only or managed by a deployer);
2. ``<TMPDIR or /tmp>/SA-ngrok-detection-<uid>/index-cache`` where SPLUNK_HOME is not set (local runs, tests).

Never inside the app folder, and never the search's dispatch folder (deleted with the search, so nothing to reuse).

A cache file is trusted only when its folder and the file belong to this user and nobody else can write to the
folder, and when its SHA-256 matches its content; otherwise it is ignored and the lookup is parsed as if there
were no cache. Every failure to read or write (read-only file system, full disk, permissions) falls back the same
way, silently: the cache only saves time, it never changes a decision. Where ownership cannot be checked (no
``os.geteuid``, i.e. Windows) there is no cache. Files written more than three days ago are removed when a new one
is written (the key changes daily), so the folder stays small.
"""

import hashlib
import marshal
import os
import stat
import sys
import tempfile
import time

APP_NAME = "SA-ngrok-detection"
DEFAULT = "default"  # the default location (above); a path instead uses that folder, None turns caching off
_MAGIC = b"NGRKIDX1"
_DIGEST_SIZE = 32
_KEEP_SECONDS = 3 * 86400
_CODE_FILES = ("allowlist.py", "wildcard.py", "lookup_files.py", "index_cache.py")
# Read now: splunklib points tempfile at the search's dispatch folder before the command's prepare() runs.
_TEMP_ROOT = tempfile.gettempdir()
_code_fingerprint = None


def code_fingerprint():
    global _code_fingerprint
    if _code_fingerprint is None:
        digest = hashlib.sha256(("%d.%d" % sys.version_info[:2]).encode("ascii"))
        here = os.path.dirname(os.path.abspath(__file__))
        for name in _CODE_FILES:
            try:
                with open(os.path.join(here, name), "rb") as handle:
                    digest.update(handle.read())
            except OSError:
                digest.update(b"missing " + name.encode("ascii"))
        _code_fingerprint = digest.digest()
    return _code_fingerprint


def key(kind, file_name, day, data):
    """The cache key of one lookup's content as of one day."""
    digest = hashlib.sha256(code_fingerprint())
    for part in (kind, file_name, day):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def _user():
    return os.geteuid() if hasattr(os, "geteuid") else None


def default_directory():
    splunk_home = os.environ.get("SPLUNK_HOME")
    if splunk_home:
        return os.path.join(splunk_home, "var", "run", APP_NAME, "index-cache")
    return os.path.join(_TEMP_ROOT, "%s-%s" % (APP_NAME, _user()), "index-cache")


def _directory(cache_dir, create):
    """The cache folder if it is safe to use (created when ``create``), else None."""
    user = _user()
    if user is None:
        return None
    path = default_directory() if cache_dir == DEFAULT else cache_dir
    try:
        if create and not os.path.isdir(path):
            os.makedirs(path, mode=0o700)
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != user or info.st_mode & 0o022:
        return None
    return path


def read(cache_key, cache_dir=DEFAULT):
    """The data stored under ``cache_key``, or None (absent, unsafe, damaged or unreadable)."""
    folder = _directory(cache_dir, create=False)
    if folder is None:
        return None
    path = os.path.join(folder, cache_key)
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(path, flags)
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_uid != _user():
                return None
            blob = handle.read()
    except OSError:
        return None
    header = len(_MAGIC) + _DIGEST_SIZE
    if len(blob) < header or not blob.startswith(_MAGIC):
        return None
    body = memoryview(blob)[header:]
    if hashlib.sha256(body).digest() != blob[len(_MAGIC):header]:
        return None
    try:
        return marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return None


def write(cache_key, data, cache_dir=DEFAULT):
    """Stores ``data`` (plain data only) under ``cache_key``; True when it was stored. Never raises."""
    folder = _directory(cache_dir, create=True)
    if folder is None:
        return False
    try:
        body = marshal.dumps(data, 4)
    except ValueError:
        return False
    temporary = None
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=".writing-", dir=folder)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(_MAGIC + hashlib.sha256(body).digest())
            handle.write(body)
        os.replace(temporary, os.path.join(folder, cache_key))
        temporary = None
        _prune(folder, keep=cache_key)
        return True
    except OSError:
        return False
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _prune(folder, keep):
    limit = time.time() - _KEEP_SECONDS
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name == keep:
            continue
        path = os.path.join(folder, name)
        try:
            if os.lstat(path).st_mtime < limit:
                os.unlink(path)
        except OSError:
            pass
