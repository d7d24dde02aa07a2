"""Sanitizer and Valgrind logs → Reports: the parser's entry points.

The boundary scan (`scan.py`) marks where each report starts; each marker's
family module reads the report from there: ASan/LSan (`asan.py`, which also
reads the other sanitizers' `ERROR: ...Sanitizer: SEGV` signal reports),
UBSan and CFI (`ubsan.py`), MSan (`msan.py`), TSan (`tsan.py`) and Valgrind
memcheck (`memcheck_text.py`, `memcheck_xml.py`, mapped in `memcheck.py`).
A log holding several tools' reports yields all of them, in log order.

`parse_text`, `parse_bytes` and `parse_file` never raise on what a log says:
what looks like a report but cannot be read comes back as an `Unparsed` with
the reason, and a report cut short is kept with `truncated=True`.

Offsets in `Source` are byte offsets into the log for `parse_bytes` and
`parse_file`, and character offsets into the string for `parse_text`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

from harness.model import ParseResult, Report, Unparsed
from harness.parse import asan, memcheck, memcheck_text, memcheck_xml, msan, scan, tsan, ubsan

__all__ = ["parse_bytes", "parse_file", "parse_text"]

_SURROGATE = re.compile("[\udc80-\udcff]")


_Reader = Callable[[str, scan.Marker, int, str], tuple[list[Report], list[Unparsed], int]]
# Marker kind → the family that reads it; ASan's own kinds are the default.
_READERS: dict[str, _Reader] = {
    scan.UBSAN: ubsan.read_marker,
    scan.MSAN: msan.read_marker,
    scan.TSAN: tsan.read_marker,
    scan.MEMCHECK: memcheck_text.read_marker,
    scan.MEMCHECK_XML: memcheck_xml.read_marker,
}


_ASAN_MARKERS = frozenset({scan.ERROR, scan.RSS, scan.FATAL, scan.CHECK, scan.LEAK_BLOCK})
_MEMCHECK_MARKERS = frozenset({scan.MEMCHECK, scan.MEMCHECK_XML})


def parse_text(text: str, log: str) -> ParseResult:
    """Every sanitizer and memcheck report in `text`, in log order."""
    reports: list[Report] = []
    unparsed: list[Unparsed] = []
    markers = scan.entangle(text, scan.find_markers(text))
    ends: dict[int | None, int] = {}
    memcheck_seen = False
    for number, marker in enumerate(markers):
        stream = _stream(marker)
        if marker.offset < ends.get(stream, 0):
            continue
        limit = _limit(markers, number, len(text))
        read: _Reader
        if marker.kind in _ASAN_MARKERS:
            read = asan.read_marker
        else:
            read = _READERS[marker.kind]
            memcheck_seen = memcheck_seen or marker.kind in _MEMCHECK_MARKERS
        try:
            found, failed, consumed = read(text, marker, limit, log)
        except Exception as error:  # noqa: BLE001 - a parser bug must not lose the log
            reason = f"internal parser error ({type(error).__name__}: {error})"
            found, failed, consumed = [], [Unparsed(log, marker.offset, reason)], marker.offset + 1
        ends[stream] = consumed
        reports.extend(found)
        unparsed.extend(failed)
    if memcheck_seen:
        reports = memcheck.drop_repeated_signals(reports)
    return ParseResult(tuple(reports), tuple(unparsed))


def _stream(marker: scan.Marker) -> int | None:
    """Whose lines a report is read from: its process's, where processes that
    share a terminal interleave their lines (memcheck's text, which prefixes
    every line with its pid, and sanitizer reports printed at one moment), or
    None: the log's, for every other report."""
    return marker.pid if marker.kind == scan.MEMCHECK or marker.entangled else None


def _limit(markers: list[scan.Marker], number: int, end: int) -> int:
    """Where the report at `markers[number]` must end: at the next report's start
    in its stream (a leak block inside a LeakSanitizer report does not end it,
    nor does another process's report that interleaves with it)."""
    stream = _stream(markers[number])
    for marker in markers[number + 1 :]:
        if marker.kind == scan.LEAK_BLOCK:
            continue
        if stream is not None and _stream(marker) not in (None, stream):
            continue
        return marker.offset
    return end


def parse_bytes(data: bytes, log: str) -> ParseResult:
    """Parse raw log bytes; bytes that are not UTF-8 read as U+FFFD."""
    if data.isascii():
        return parse_text(data.decode("ascii"), log)
    # surrogateescape keeps one character per undecodable byte, so offsets
    # can be mapped back to bytes; the parser sees U+FFFD in their place.
    escaped = data.decode("utf-8", errors="surrogateescape")
    result = parse_text(_SURROGATE.sub("\ufffd", escaped), log)
    return _to_byte_offsets(result, escaped)


def parse_file(path: str | Path, log: str | None = None) -> ParseResult:
    """Parse the log at `path`; a file that cannot be read is one Unparsed entry."""
    name = str(path) if log is None else log
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return ParseResult((), (Unparsed(name, 0, f"cannot read the log: {error.strerror}"),))
    return parse_bytes(data, name)


def _to_byte_offsets(result: ParseResult, escaped: str) -> ParseResult:
    cache: dict[int, int] = {}

    def to_bytes(offset: int) -> int:
        if offset not in cache:
            cache[offset] = len(escaped[:offset].encode("utf-8", errors="surrogateescape"))
        return cache[offset]

    reports = []
    for report in result.reports:
        start = to_bytes(report.source.offset)
        end = to_bytes(report.source.offset + report.source.length)
        source = dataclasses.replace(report.source, offset=start, length=end - start)
        reports.append(dataclasses.replace(report, source=source))
    unparsed = [dataclasses.replace(u, offset=to_bytes(u.offset)) for u in result.unparsed]
    return ParseResult(tuple(reports), tuple(unparsed))
