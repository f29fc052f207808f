"""The ``ngrokscore`` search command: splunklib speaks the protocol, ``enrich`` does the work.

splunklib handles getinfo, options and messages. Each execute chunk is read and written as a whole CSV table at
the chunk seam (``_execute_chunk_v2``, the same method splunklib's own generating command overrides) instead of
splunklib's per-record reader and writer, which build an ordered dict per row and re-inspect every value: several
times slower for a command that adds fourteen fields to every row. The protocol tests pin this seam to the
vendored splunklib version.
"""

import contextlib
import csv
import functools
import gc
import io
import logging
import os
import sys
import traceback

from splunklib.searchcommands import Configuration, Option, StreamingCommand, dispatch, splunklib_logger
from splunklib.searchcommands.internals import RecordWriterV2

from . import allowlist as allowlist_module
from . import csv_nul
from . import detection
from . import index_cache
from . import modifiers as modifiers_module
from .enrich import Enricher, SplunkCsv
from .options import OPTION_NAMES, OptionError, message_warning, repeated_error, validate
from .redaction import redact

_loaded = {}


def _load_once(kind, file_name):
    """Each lookup is read once per process, however many chunks the search sends."""
    key = (kind, file_name)
    if key not in _loaded:
        if kind == "allowlist":
            # The parsed, indexed allowlist is kept between searches, outside the app (see index_cache.py).
            loader = functools.partial(allowlist_module.load, cache_dir=index_cache.DEFAULT)
        else:
            loader = modifiers_module.load_tuned  # defaults + overrides
        # Loading builds many small objects and no reference cycles: collecting garbage meanwhile only costs
        # start-up time (about a third of it for a 10,000-entry allowlist).
        with _garbage_collection_paused():
            _loaded[key] = loader(file_name)
    return _loaded[key]


@contextlib.contextmanager
def _garbage_collection_paused():
    """Python's cycle collector paused for a block that builds many objects and no reference cycles: it would look
    at every new container and find nothing to free. Whatever the block leaves is collected as usual after it."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class _LengthCheckingReader(object):
    """Wraps splunkd's input so that a chunk cut short (the stream ended inside it) is an error, not a smaller
    chunk processed as if it were whole."""

    def __init__(self, stream):
        self.stream = stream
        self.short_read = None

    def read(self, size=-1):
        data = self.stream.read(size)
        if size and size > 0 and len(data) < size and self.short_read is None:
            self.short_read = (size, len(data))
        return data

    def readline(self, *args):
        return self.stream.readline(*args)


class _EncodedReply(object):
    """The reply body as UTF-8 bytes, encoded a thousand rows at a time as the enricher writes them.

    splunklib would hold a full chunk's reply three times over (its text buffer, a copy of it, the UTF-8 bytes);
    the reply is four times the size of the request, so that is most of the command's peak memory. Here it is held
    once, as bytes, and written out by _ReplyWriter.
    """

    def __init__(self, restore=None):
        self.parts = []
        self.size = 0
        self._restore = restore  # csv_nul.unescape when the rows were written NUL-escaped, else None

    def write(self, text):
        if self._restore is not None:
            text = self._restore(text)
        data = text.encode("utf-8")
        self.parts.append(data)
        self.size += len(data)


class _ReplyWriter(RecordWriterV2):
    """splunklib's protocol v2 writer, sending a body already encoded (_EncodedReply) instead of its text buffer.

    The chunk is framed exactly as RecordWriterV2._write_chunk frames it (``chunked 1.0,<metadata bytes>,<body
    bytes>\\n``, the metadata as compact JSON without null values, then the body); the protocol tests check the
    replies byte for byte under every supported Python.
    """

    encoded = None

    def _write_chunk(self, metadata, body):
        encoded, self.encoded = self.encoded, None
        if encoded is None or not encoded.size:
            return RecordWriterV2._write_chunk(self, metadata, body)
        parts = ([body.encode("utf-8")] if body else []) + encoded.parts
        encoded.parts = []
        metadata_bytes = b""
        if metadata:
            metadata_bytes = "".join(self._iterencode_json(dict((n, v) for n, v in metadata if v is not None),
                                                           0)).encode("utf-8")
        ofile = self.ofile
        ofile.write(("chunked 1.0,%d,%d\n" % (len(metadata_bytes), sum(len(part) for part in parts)))
                    .encode("ascii"))
        ofile.write(metadata_bytes)
        while parts:
            ofile.write(parts.pop(0))  # each part is freed once written
        ofile.flush()
        self._flushed = True


# Characters that end a line for str.splitlines but not for the csv module (which ends records at \r and \n).
_OTHER_LINE_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _lines(body):
    """The chunk's lines for csv.reader. A list of lines costs about 1.3 times the text; io.StringIO would copy it
    into 4 bytes per character. Only when a line break the csv module does not know (or a CR alone) occurs does the
    text go through StringIO, which splits lines exactly as the csv module expects."""
    if any(mark in body for mark in _OTHER_LINE_BREAKS) or body.count("\r") != body.count("\r\n"):
        return io.StringIO(body)
    return body.splitlines(True)


def _literal(text):
    """splunklib formats message text with str.format: keep braces from field values literal."""
    return text.replace("{", "{{").replace("}", "}}")


@Configuration(distributed=True)
class NgrokScoreCommand(StreamingCommand):
    """Scores results of the Linux Ngrok Reverse Proxy Usage detection. Options are documented in searchbnf.conf."""

    impact = Option(doc="Impact 0-100 (default 50)")
    confidence = Option(doc="Confidence 0-100 (default 100)")
    message = Option(doc="Risk message template with $field$ tokens")
    modifiers = Option(doc="Apply the risk modifier table (default true)")
    allowlist = Option(doc="Allowlist lookup file in this app's lookups folder, or none")
    on_allowlist = Option(doc="mark or drop allowlisted rows (default mark)")
    redact = Option(doc="Mask ngrok secrets (default true)")

    enricher = None

    def _protocol_v2_option_parser(self, arg):
        # Unknown names come back as positional words so that prepare() can list the options that exist.
        name, equals, value = arg.partition("=")
        return [name, value] if equals and name in OPTION_NAMES else [arg]

    def prepare(self):
        if self.fieldnames:
            self._fail("ngrokscore: unknown argument%s %s; the options are %s, each written name=value"
                       % ("s" if len(self.fieldnames) > 1 else "", " ".join(repr(word) for word in self.fieldnames),
                          ", ".join(OPTION_NAMES)))
        repeats = repeated_error(getattr(self.metadata.searchinfo, "args", None) or ())
        if repeats:
            self._fail(repeats)
        given = {name: getattr(self, name) for name in OPTION_NAMES if getattr(self, name) is not None}
        try:
            settings = validate(given)
        except OptionError as error:
            self._fail(str(error))
        allowlist = _load_once("allowlist", settings.allowlist) if settings.allowlist else None
        modifier_table = _load_once("modifiers", detection.MODIFIERS_LOOKUP) if settings.modifiers else None
        self.enricher = Enricher(settings, allowlist, modifier_table)
        # Lookup problems go with the getinfo reply, which every search gets (a search may end before any
        # execute reply: then messages held for it were never shown). splunkd shows the messages of the getinfo
        # reply, as it shows splunklib's own option errors and show_configuration, sent the same way.
        for table in (allowlist, modifier_table):
            if table is not None:
                for text in table.errors:
                    self.write_error(_literal("ngrokscore: " + text))
        if allowlist is not None:
            for text in allowlist.warnings:
                self.write_warning(_literal("ngrokscore: " + text))
        template_warning = message_warning(settings.message)
        if template_warning:
            self.write_warning(_literal(template_warning))
        # The writer splunklib made for this protocol run, made to send pre-encoded replies (same state, same
        # framing; see _ReplyWriter).
        if type(self._record_writer) is RecordWriterV2:
            self._record_writer.__class__ = _ReplyWriter

    def _fail(self, text):
        self.write_error(_literal(text))
        sys.exit(1)

    def _read_chunk(self, istream):
        checked = _LengthCheckingReader(istream)
        try:
            chunk = StreamingCommand._read_chunk(checked)
        except Exception as error:
            # A header or metadata splunklib cannot read (a stray line, bad JSON): say so, in splunkd's terms.
            raise RuntimeError("malformed request from splunkd: %s" % error)
        if checked.short_read is not None:
            raise RuntimeError("truncated request from splunkd: a part announced as %d bytes ended after %d"
                               % checked.short_read)
        return chunk

    def _report_unexpected_error(self):
        """splunklib's own report, made safe and sure to arrive: it writes the error to the inspector only, so
        after a reply has been sent (every error after getinfo) it stayed on stderr, and it formats the text with
        str.format, so an error quoting a brace failed in turn. Here the error always goes to splunkd in a reply
        of its own, as an ERROR message, masked and bounded; the traceback goes to search.log (stderr)."""
        error_type, error, trace = sys.exc_info()
        text = redact("%s" % error) if isinstance(error, RuntimeError) else "%s: %s" % (error_type.__name__, error)
        if len(text) > 500:
            text = text[:500] + "..."
        splunklib_logger.error("ngrokscore stopped: %s\n%s", text, "".join(traceback.format_tb(trace)))
        writer = self._record_writer
        if writer is not None:
            writer.is_flushed = False  # finish() then writes a final reply carrying the message
        self.write_error(_literal("ngrokscore: " + text))

    def stream(self, records):
        raise RuntimeError("ngrokscore needs search command protocol v2: set chunked = true in commands.conf")

    def _execute_chunk_v2(self, process, chunk):
        _, body = chunk
        writer = self._record_writer

        # Python 3.9's csv reader (Splunk 9.x) refuses NUL characters: escape them reversibly (csv_nul).
        escaped = "\0" in body and not csv_nul.READER_HANDLES_NUL
        if escaped:
            body = csv_nul.escape(body)
        reader = csv.reader(_lines(body), dialect=SplunkCsv)
        header = next(reader, None)
        if not header:
            return
        enricher = self.enricher
        failed_before = enricher.failed_rows
        restore = None
        if escaped:
            if csv_nul.WRITER_HANDLES_NUL:
                # The rows' own text, NUL included, for the parser and the redactor to see.
                header = [csv_nul.unescape(name) for name in header]
                reader = csv_nul.unescaped_rows(reader)
            else:
                # Python 3.10's writer refuses NUL too: rows are written escaped and given back their NULs after.
                restore = csv_nul.unescape
        # Scoring a chunk builds a word list and token tuples per command line and the rows' memories, and no reference
        # cycles: the collector would only look at them (about 15% of the CPU time of a 1 MB command line).
        with _garbage_collection_paused():
            if isinstance(writer, _ReplyWriter):
                # Rows stream from the chunk's text into UTF-8 bytes that _ReplyWriter sends after this method.
                reply = _EncodedReply(restore)
                writer._pending_record_count += enricher.write(header, reader, reply)
                writer.encoded = reply
            elif restore is None:
                writer._pending_record_count += enricher.write(header, reader, writer._buffer)
            else:
                reply = io.StringIO()
                writer._pending_record_count += enricher.write(header, reader, reply)
                writer._buffer.write(restore(reply.getvalue()))
        if enricher.failed_rows > failed_before:
            writer.write_message("WARN", _literal(
                "ngrokscore: %d result(s) kept their base score because scoring failed (%s); please report this"
                % (enricher.failed_rows - failed_before, enricher.last_failure)))


def main():
    dispatch(NgrokScoreCommand, sys.argv, sys.stdin, sys.stdout, None)


def exit_at_once():
    """Ends the process once the search has been answered, without the interpreter's teardown.

    Every reply has been written and flushed by then (_ReplyWriter and splunklib flush each chunk); what is left is
    Python freeing every module and object one by one and collecting garbage a last time, about a tenth of a
    1-row search's CPU time, for memory the operating system takes back at once anyway. Called only after the
    protocol ended normally: an error exit (splunklib's exit(1), a crash) takes the usual way. Not under a profiler
    or tracer (cProfile, coverage), which write their results at exit.
    """
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return
    try:
        logging.shutdown()  # splunklib's log handlers (search.log), as the exit would
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:  # nothing may be lost: let the usual exit flush and report
        return
    os._exit(0)
