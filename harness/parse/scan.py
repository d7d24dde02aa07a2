"""The cheap boundary scan: where in a log do reports start?

Most of a log is program output, shadow-byte dumps and legends that no
grammar needs to see. Each report family starts with a line holding a word
that `str.find` finds at memory speed; only the lines around a hit are looked
at, so the scan stays one cheap linear pass per word over the text:

- `Sanitizer`: every sanitizer runtime's own headline (`==12==ERROR:
  AddressSanitizer: ...`, `WARNING: MemorySanitizer: ...`, `WARNING:
  ThreadSanitizer: data race (pid=12)`, `LeakSanitizer has encountered a fatal
  error`, `AddressSanitizer: hard rss limit exhausted`);
- `leak of `: LeakSanitizer's leak blocks (a log whose header was cut off);
- `runtime error: `: UndefinedBehaviorSanitizer and CFI (`file.c:3:5: runtime
  error: ...`), which print no `Sanitizer` before the message;
- `    at 0x`: the first frame of every Valgrind memcheck text error; the
  error's headline is the line above it;
- `<error>` and `<fatal_signal>`: Valgrind's XML (`--xml=yes`), in a text
  holding its `<valgrindoutput>` root.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

# What a start line says from its first word on. Tried only where a hit of
# `Sanitizer` is (not searched along the line), which is what keeps it cheap.
_START = re.compile(
    r"(?P<error>ERROR: (?:Address|Leak|UndefinedBehavior|Memory|Thread)Sanitizer\b)"
    r"|(?P<rss>(?:AddressSanitizer|LeakSanitizer): hard rss limit exhausted)"
    r"|(?P<fatal>LeakSanitizer has encountered a fatal error)"
    r"|(?P<check>(?:Address|Leak|UndefinedBehavior|Memory|Thread)?Sanitizer CHECK failed)"
    r"|(?P<msan>WARNING: MemorySanitizer: )"
    # Every ThreadSanitizer report names its process; its other warnings do not.
    r"|(?P<tsan>WARNING: ThreadSanitizer: [^\n]*?\(pid=\d+\))"
)
_TOOL_WORDS = ("Address", "Leak", "UndefinedBehavior", "Memory", "Thread")
# `==12==` right before a start. The start may be glued to program output
# printed without a newline (`abc==12==ERROR: ...`).
_PID_BEFORE = re.compile(r"==(?P<pid>\d+)==[ \t]*$")
_PID_REACH = 24
# `file.c:3:5: runtime error: ...`; the location may also be `<unknown>` or `(module+0x12)`.
_UBSAN = re.compile(r"(?P<location>\S+): runtime error: ")
# Valgrind puts a space after its prefix; the sanitizers' `==12==ERROR` has none.
_VALGRIND_PID = re.compile(r"==(?P<pid>\d+)== ")
# What stands above a memcheck stack that is not an error's first line: the
# auxiliary stacks of an error, and the details of a fatal signal.
_MEMCHECK_AUX = re.compile(r" *(?:Address 0x|Block was alloc'd at|Uninitialised value was created)")
_MEMCHECK_SIGNAL_DETAIL = re.compile(
    r" *(?:Access not within mapped region|Bad permissions for mapped region|"
    r"General Protection Fault|[A-Z][\w ]+ at address 0x)"
)
_MEMCHECK_FATAL = re.compile(r" *Process terminating with default action of signal")
_XML_PID = re.compile(r"<pid>(?P<pid>\d+)</pid>")
_LEAK_BLOCK = re.compile(r"(?:==(?P<pid>\d+)==)?[ \t]*(?:Direct|Indirect) leak of \d")

# Marker kinds. `leak-block` only counts where no LeakSanitizer header covers
# it (a log whose beginning was cut off).
ERROR = "error"
RSS = "rss"
FATAL = "fatal"
CHECK = "check"
LEAK_BLOCK = "leak-block"
UBSAN = "ubsan"
MSAN = "msan"
TSAN = "tsan"
MEMCHECK = "memcheck"
MEMCHECK_XML = "memcheck-xml"
_START_KINDS = (ERROR, RSS, FATAL, CHECK, MSAN, TSAN)


@dataclass(frozen=True, slots=True)
class Marker:
    """A line that starts a report: `offset` is where its text begins.

    `entangled`: another process's report started before this one printed
    its stack, so their lines interleave (see `entangle`).
    """

    offset: int
    kind: str
    pid: int | None
    entangled: bool = False


def entangle(text: str, markers: list[Marker]) -> list[Marker]:
    """Mark the sanitizer reports whose lines interleave with another process's.

    Processes that fail at the same moment (a parent and its child) print to
    one terminal at once: the runtime writes a report a piece at a time (a
    line, a whole stack), so the two reports' pieces alternate. It shows as
    a headline followed, before any stack, by another process's headline.
    (LeakSanitizer's reports are printed in one piece each.)
    """
    out = list(markers)
    for number in range(len(out) - 1):
        first, second = out[number], out[number + 1]
        two_processes = None not in (first.pid, second.pid) and first.pid != second.pid
        if (
            first.kind == ERROR == second.kind
            and two_processes
            and text.find("#0 ", first.offset, second.offset) < 0
            and not _is_leak_report(text, first)
            and not _is_leak_report(text, second)
        ):
            out[number] = replace(first, entangled=True)
            out[number + 1] = replace(second, entangled=True)
    return out


def _is_leak_report(text: str, marker: Marker) -> bool:
    return text.startswith("ERROR: LeakSanitizer", text.find("ERROR: ", marker.offset))


def line_bounds(text: str, pos: int) -> tuple[int, int]:
    """Start and end (the newline, or len) of the line holding `pos`."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, (len(text) if end < 0 else end)


def _hits(text: str, word: str) -> Iterator[tuple[int, int]]:
    """Bounds of each line containing `word`, each line once."""
    for start, end, _pos in _hit_positions(text, word):
        yield start, end


def _hit_positions(text: str, word: str) -> Iterator[tuple[int, int, int]]:
    """Bounds of each line containing `word`, and where in it the word is first."""
    pos = text.find(word)
    while pos >= 0:
        start, end = line_bounds(text, pos)
        yield start, end, pos
        pos = text.find(word, end)


def find_markers(text: str) -> list[Marker]:
    """Every report start in `text`, in order."""
    markers: list[Marker] = []
    for start, end, pos in _hit_positions(text, "Sanitizer"):
        marker = _sanitizer_start(text, start, end, pos)
        if marker is not None:
            markers.append(marker)
    for start, end in _hits(text, "leak of "):
        found = _LEAK_BLOCK.match(text, start, end)
        if found is not None:
            markers.append(Marker(start, LEAK_BLOCK, _pid(found)))
    for start, end in _hits(text, "runtime error: "):
        found = _UBSAN.search(text, start, end)
        if found is not None:
            markers.append(Marker(found.start(), UBSAN, None))
    markers.extend(_memcheck_markers(text))
    markers.extend(_xml_markers(text))
    markers.sort(key=lambda marker: marker.offset)
    return markers


def _sanitizer_start(text: str, start: int, end: int, pos: int) -> Marker | None:
    """The report start on the line text[start:end] around a `Sanitizer` at `pos`, if any."""
    while pos >= 0:
        word = next((w for w in _TOOL_WORDS if text.startswith(w, pos - len(w), pos)), "")
        candidate = pos - len(word)
        if text.startswith("ERROR: ", candidate - 7, candidate):
            candidate -= 7
        elif text.startswith("WARNING: ", candidate - 9, candidate):
            candidate -= 9
        found = _START.match(text, max(candidate, start), end)
        if found is not None:
            kind = next(name for name in _START_KINDS if found.group(name))
            prefix = _PID_BEFORE.search(text, max(start, found.start() - _PID_REACH), found.start())
            if prefix is None:
                return Marker(found.start(), kind, None)
            return Marker(prefix.start(), kind, int(prefix.group("pid")))
        pos = text.find("Sanitizer", pos + 9, end)
    return None


def _pid(found: re.Match[str]) -> int | None:
    pid = found.group("pid")
    return int(pid) if pid else None


def _memcheck_markers(text: str) -> Iterator[Marker]:
    """The headline above each memcheck stack that opens an error.

    Valgrind puts its pid on every line, and processes that share a terminal
    (`--trace-children=yes`) interleave their lines: the headline is the
    nearest line above of the stack's own process.
    """
    for start, end in _hits(text, "    at 0x"):
        at = valgrind_prefix(text, start, end)
        if at is None:
            continue
        pid = int(at.group("pid"))
        above = _valgrind_above(text, start, pid)
        if above is None or not above.line.strip() or _MEMCHECK_AUX.match(above.line):
            continue
        if _MEMCHECK_SIGNAL_DETAIL.match(above.line):
            # A fatal signal's details: its headline is one line further up.
            above = _valgrind_above(text, above.start, pid)
            if above is None or not _MEMCHECK_FATAL.match(above.line):
                continue
        yield Marker(above.prefix, MEMCHECK, pid)


def valgrind_prefix(text: str, start: int, end: int) -> re.Match[str] | None:
    """The `==pid== ` of the valgrind line text[start:end], or None.

    Program output printed without a newline may stand before it on the line.
    """
    found = _VALGRIND_PID.match(text, start, end)
    if found is None and text.find("==", start, end) >= 0:
        found = _VALGRIND_PID.search(text, start, end)
    return found


# Program output may land between valgrind's lines; this many lines of it in a
# row are passed over, and this many lines of other processes.
_FOREIGN_LINES = 16
_OTHER_PROCESS_LINES = 256


@dataclass(frozen=True, slots=True)
class _Above:
    start: int  # where the line starts
    prefix: int  # where its `==pid==` starts
    line: str  # what follows the prefix


def _valgrind_above(text: str, start: int, pid: int) -> _Above | None:
    """The nearest line of process `pid` above the line at `start`."""
    foreign = other = 0
    while start > 0 and foreign <= _FOREIGN_LINES and other <= _OTHER_PROCESS_LINES:
        end = start - 1
        start = text.rfind("\n", 0, end) + 1
        prefix = valgrind_prefix(text, start, end)
        if prefix is None:
            foreign += 1
        elif int(prefix.group("pid")) != pid:
            foreign, other = 0, other + 1
        else:
            return _Above(start, prefix.start(), text[prefix.end() : end])
    return None


def _xml_markers(text: str) -> Iterator[Marker]:
    """Each `<error>` and `<fatal_signal>` element of valgrind's XML.

    Only in a document that has valgrind's root element: `--xml-file` writes
    it first, and one search for it spares every other log two.
    """
    if text.find("<valgrindoutput") < 0:
        return
    for tag in ("<error>", "<fatal_signal>"):
        pos = text.find(tag)
        while pos >= 0:
            yield Marker(pos, MEMCHECK_XML, _xml_pid(text, pos))
            pos = text.find(tag, pos + len(tag))


def _xml_pid(text: str, pos: int) -> int | None:
    start = text.rfind("<pid>", 0, pos)
    if start < 0:
        return None
    found = _XML_PID.match(text, start)
    return int(found.group("pid")) if found else None


def iter_lines(text: str, pos: int, limit: int) -> Iterator[tuple[int, int, str]]:
    """(start, end, line) for each line in text[pos:limit]; `end` is past the newline.

    The line is stripped of trailing whitespace, so CRLF logs read like LF ones.
    """
    while pos < limit:
        newline = text.find("\n", pos, limit)
        end = limit if newline < 0 else newline + 1
        yield pos, end, text[pos:end].rstrip()
        pos = end
