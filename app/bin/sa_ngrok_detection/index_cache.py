"""Persists a parsed, indexed lookup between searches, so that a large allowlist costs its parsing once, not per
search process.

Every search starts a new ngrokscore process, on the search head and on each indexer, and a 10,000-entry allowlist
costs more to parse and index than the rest of the start-up together. The result is plain data (dicts, tuples,
strings, ints), written with ``marshal`` (fast, no code execution on load, unlike pickle) and keyed by:

* the lookup file's content (SHA-256 of its bytes), so an edited file, a new app version or a different knowledge
  bundle never reuses an old index;
* the date (expiry depends on it) and the file name (it appears in messages);
* this code (CRC-32 and Adler-32 of the modules that parse and index) and the Python version, so an upgrade never
  reads an index in a shape it does not expect (and the loader checks the shape as well).

Hashing the file costs a search more than loading its index (hashlib alone, the OpenSSL binding, takes about 2 ms to
import), so a **stat note** remembers which content key a file had: a small file named after the lookup's path, its
device, inode, size, modification and change times (nanoseconds), the date and this code. While the file keeps that
identity, a search reads the note and then the index, and neither reads nor hashes the file. Any write to the file
changes its change time (a program can set the modification time back, never the change time), and a replaced file
(Splunk's outputlookup, a new knowledge bundle) is a new inode. A note is written only for a file whose times are
more than 2 seconds old when it is read, so that a later write cannot fall in the same tick of a coarse clock
(racy-stat): until then every search hashes the file.

Where (the first that works):

1. ``$SPLUNK_HOME/var/run/SA-ngrok-detection/index-cache``: Splunk's own runtime folder, present and writable by
   the Splunk user on search heads and indexers alike, outside every app and knowledge bundle (a bundle is
   replaced whenever it changes, and an app folder may be read-only or managed by a deployer);
2. ``<TMPDIR or /tmp>/SA-ngrok-detection-<uid>/index-cache`` where SPLUNK_HOME is not set (local runs, tests).

Never inside the app folder, and never the search's dispatch folder (deleted with the search, so nothing to reuse).

A cache file is trusted only when its folder and the file belong to this user and nobody else can write to the
folder (so only this user could have written it), and when its length and CRC-32 match its content (no damage);
otherwise it is ignored and the lookup is parsed as if there
were no cache. Every failure to read or write (read-only file system, full disk, permissions) falls back the same
way, silently: the cache only saves time, it never changes a decision. Where ownership cannot be checked (no
``os.geteuid``, i.e. Windows) there is no cache. Files written more than three days ago are removed when a new one
is written (the key changes daily), so the folder stays small.
"""

import marshal
import os
import stat
import sys
import tempfile
import time
import zlib  # loaded by splunklib already; hashlib is imported only when a file's content must be hashed

APP_NAME = "SA-ngrok-detection"
DEFAULT = "default"  # the default location (above); a path instead uses that folder, None turns caching off
_MAGIC = b"NGRKIDX2"
_CHECK_SIZE = 12  # body length (8 bytes) and CRC-32 (4 bytes), big-endian
_SETTLED_NS = 2 * 10 ** 9  # a file's times must be this old before its identity may stand for its content
_KEEP_SECONDS = 3 * 86400
_CODE_FILES = ("allowlist.py", "wildcard.py", "lookup_files.py", "index_cache.py")
# Read now: splunklib points tempfile at the search's dispatch folder before the command's prepare() runs.
_TEMP_ROOT = tempfile.gettempdir()
_code_fingerprint = None


def code_fingerprint():
    """The Python version and checksums of the modules whose output is cached, as bytes."""
    global _code_fingerprint
    if _code_fingerprint is None:
        parts = [("%d.%d" % sys.version_info[:2]).encode("ascii")]
        here = os.path.dirname(os.path.abspath(__file__))
        for name in _CODE_FILES:
            try:
                with open(os.path.join(here, name), "rb") as handle:
                    code = handle.read()
                parts.append(b"%d:%08x:%08x" % (len(code), zlib.crc32(code), zlib.adler32(code)))
            except OSError:
                parts.append(b"missing " + name.encode("ascii"))
        _code_fingerprint = b" ".join(parts)
    return _code_fingerprint


def key(kind, file_name, day, data):
    """The cache key of one lookup's content as of one day."""
    import hashlib  # here, not at the top: a search whose stat note is valid never hashes anything

    digest = hashlib.sha256(code_fingerprint())
    for part in (kind, file_name, day):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def identity(path):
    """(what identifies the file's current content without reading it, whether its times are settled), or
    (None, False) when it cannot be examined."""
    try:
        info = os.stat(path)
    except OSError:
        return None, False
    latest = max(info.st_mtime_ns, info.st_ctime_ns)
    return ((info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns),
            time.time_ns() - latest > _SETTLED_NS)


def _note_text(kind, path, file_identity, day):
    return "\0".join([kind, os.path.abspath(path), repr(file_identity), day]).encode("utf-8", "surrogateescape") \
        + b"\0" + code_fingerprint()


def _note_name(text):
    return "stat-%08x%08x-%d" % (zlib.crc32(text), zlib.adler32(text), len(text))


def read_note(kind, path, file_identity, day, cache_dir=DEFAULT):
    """The content key a stat note records for the file with this identity, or None."""
    if file_identity is None:
        return None
    text = _note_text(kind, path, file_identity, day)
    stored = read(_note_name(text), cache_dir)
    if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == text and isinstance(stored[1], str)):
        return None
    return stored[1]


def write_note(kind, path, file_identity, day, cache_key, cache_dir=DEFAULT):
    """Records that the file with this (settled) identity has the content behind ``cache_key``."""
    if file_identity is None:
        return False
    text = _note_text(kind, path, file_identity, day)
    return write(_note_name(text), (text, cache_key), cache_dir)


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
    header = len(_MAGIC) + _CHECK_SIZE
    if len(blob) < header or not blob.startswith(_MAGIC):
        return None
    body = memoryview(blob)[header:]
    if _check(body) != blob[len(_MAGIC):header]:
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
            handle.write(_MAGIC + _check(body))
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


def _check(body):
    """What detects a damaged (truncated, overwritten) cache file: its body's length and CRC-32."""
    return len(body).to_bytes(8, "big") + zlib.crc32(body).to_bytes(4, "big")


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
