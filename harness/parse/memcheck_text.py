"""Valgrind memcheck's text form: `==12== Invalid write of size 4` and the lines after it.

An error runs from its headline to the next empty `==pid==` line of its
process:

    ==12== Invalid write of size 1
    ==12==    at 0x109179: fill (memcheck.c:14)
    ==12==    by 0x10919C: main (memcheck.c:20)
    ==12==  Address 0x4a41068 is 0 bytes after a block of size 40 alloc'd
    ==12==    at 0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)
    ==12==    by 0x10918C: main (memcheck.c:18)
    ==12==

Lines of other processes (`--trace-children=yes`) and program output in
between are skipped. The headline is turned into memcheck's own kind (the
XML's `<kind>`), so both forms meet in `memcheck.to_report` and its one
mapping table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from harness.model import Frame, Report, Source, Unparsed
from harness.parse import scan
from harness.parse.frames import VALGRIND_FRAME_LINE_RE, make_valgrind_frame
from harness.parse.memcheck import Error, address_in, to_report

# Text headlines → memcheck's kind (the XML's `<kind>`).
_TEXT_KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (r"Invalid read of size (?P<size>\d+)", "InvalidRead"),
        (r"Invalid write of size (?P<size>\d+)", "InvalidWrite"),
        (r"Invalid free\(\)", "InvalidFree"),
        (r"Mismatched free\(\)", "MismatchedFree"),
        (r"Conditional jump or move depends on uninitialised", "UninitCondition"),
        (r"Use of uninitialised value of size (?P<size>\d+)", "UninitValue"),
        (r"Syscall param ", "SyscallParam"),
        (r"Source and destination overlap in ", "Overlap"),
        (r"Argument '.*' of function .* has a fishy", "FishyValue"),
        (r"Jump to the invalid address", "InvalidJump"),
        (r"(?:Uninitialised|Unaddressable) byte\(s\) found during client check", "ClientCheck"),
        (r"Invalid alignment value", "InvalidAlignment"),
        (r".* are definitely lost in loss record", "Leak_DefinitelyLost"),
        (r".* are indirectly lost in loss record", "Leak_IndirectlyLost"),
        (r".* are possibly lost in loss record", "Leak_PossiblyLost"),
        (r".* are still reachable in loss record", "Leak_StillReachable"),
        (
            r"Process terminating with default action of signal \d+ \((?P<signal>SIG\w+)\)",
            "FatalSignal",
        ),
    )
)
_LEAK = re.compile(
    r"(?P<bytes>[\d,]+) (?:\((?P<direct>[\d,]+) direct, (?P<indirect>[\d,]+) indirect\) )?"
    r"bytes in (?P<blocks>[\d,]+) blocks"
)
_VALGRIND_LINE = re.compile(r"==(?P<pid>\d+)== ?")
# Auxiliary headers inside a text error: they open a new stack.
_AUX = re.compile(
    r"(?:Address 0x[0-9a-fA-F]+ is .*|Block was alloc'd at|"
    r"Uninitialised value was created.*)$"
)

Found = tuple[list[Report], list[Unparsed], int]


def read_marker(text: str, marker: scan.Marker, limit: int, log: str) -> Found:
    """The memcheck error whose text headline is at `marker`, and where it ends."""
    error, end = read_text(text, marker.offset, limit, marker.pid)
    if error is None:
        headline = text[marker.offset : text.find("\n", marker.offset)].strip()
        return (
            [],
            [Unparsed(log, marker.offset, f"unrecognized memcheck error: {headline[:160]}")],
            end,
        )
    source = Source(log, marker.offset, end - marker.offset, marker.pid)
    report = to_report(error, source)
    return ([report] if report else []), [], end


def read_text(text: str, pos: int, limit: int, pid: int | None) -> tuple[Error | None, int]:
    """A text error from its headline to the empty `==pid==` line that ends it."""
    lines = _valgrind_lines(text, pos, limit, pid)
    first = next(lines, None)
    if first is None:
        return None, pos
    headline, end = first
    error = _headline_error(headline.strip())
    if error is None:
        return None, end
    header: str | None = None
    frames: list[Frame] = []
    error.complete = False
    for line, line_end in lines:
        end = line_end
        stripped = line.strip()
        if not stripped:
            error.complete = True
            break
        frame = VALGRIND_FRAME_LINE_RE.match(line)
        if frame is not None:
            frames.append(make_valgrind_frame(len(frames), frame.group("pc"), frame.group("tail")))
        elif _AUX.match(stripped):
            _close(error, header, frames)
            header, frames = stripped, []
            error.auxwhat.append(stripped)
        elif error.kind == "FatalSignal" and error.address is None:
            error.address = address_in(stripped)
    _close(error, header, frames)
    return error, end


def _valgrind_lines(text: str, pos: int, limit: int, pid: int | None) -> Iterator[tuple[str, int]]:
    """(line without its `==pid==` prefix, end) for this process's lines.

    Other processes' lines are passed over; so is program output, up to 20
    lines in a row, and what it printed without a newline before a valgrind line.
    """
    skipped = 0
    while pos < limit and skipped < 20:
        newline = text.find("\n", pos, limit)
        end = limit if newline < 0 else newline + 1
        prefix = _VALGRIND_LINE.match(text, pos, end) or scan.valgrind_prefix(text, pos, end)
        if prefix is None:
            skipped += 1  # program output interleaved with valgrind's
        else:
            skipped = 0
            if pid is None or int(prefix.group("pid")) == pid:
                yield text[prefix.end() : end].rstrip("\r\n"), end
        pos = end


def _close(error: Error, header: str | None, frames: list[Frame]) -> None:
    if frames:
        error.stacks.append((header, tuple(frames)))


def _headline_error(what: str) -> Error | None:
    for pattern, kind in _TEXT_KINDS:
        found = pattern.match(what)
        if found is None:
            continue
        error = Error(kind, what)
        if kind == "FatalSignal":
            error.signal = found.group("signal")
        leak = _LEAK.match(what)
        if kind.startswith("Leak_") and leak is not None:
            error.leaked = (
                _number(leak.group("direct") or leak.group("bytes")),
                _number(leak.group("blocks")),
            )
        return error
    return None


def _number(text: str) -> int:
    return int(text.replace(",", ""))
