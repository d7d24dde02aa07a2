"""Walk the lines of one ASan/LSan report after its headline.

The walker reads line by line from the headline to the report's end
(`==pid==ABORTING`, the end of the shadow legend, LeakSanitizer's SUMMARY) and
sorts what it meets into sections: one per stack (crash, freed by, allocated
by, thread created by, leak block). It never ends a stack at a blank line:
only a new section header or the report's end does, so a report with freed-by
and previously-allocated-by sections keeps them all. Lines from other
processes (another `==pid==`) and program output between report lines are
skipped; a long run of lines it does not know ends the report as truncated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.model import Frame
from harness.parse import lines as g
from harness.parse.frames import FRAME_LINE_RE, frame_needs_more, make_frame, parse_frame_line
from harness.parse.scan import iter_lines

_PID = g.PID_PREFIX.re
_ROLE_BY_WHAT = {
    "freed": "free",
    "previously freed": "previous",
    "allocated": "alloc",
    "previously allocated": "alloc",
}
# How many unknown lines in a row a report survives: program output may
# interleave, but a report that stopped for good must not swallow the log.
_MAX_UNKNOWN = 200
_MAX_UNKNOWN_AFTER_SUMMARY = 8
# The shadow dump and legend take ~2.5 kB; ABORTING follows them.
_SHADOW_WINDOW = 16384


@dataclass(slots=True)
class Section:
    """A stack being read. `role` None: its frames belong to no stack."""

    role: str | None
    offset: int
    header: str | None = None
    thread: str | None = None
    leak: dict[str, int | str] | None = None
    frames: list[Frame] = field(default_factory=list)
    end: int = 0
    closed: bool = False


@dataclass(slots=True)
class Body:
    sections: list[Section]
    facts: dict[str, str] = field(default_factory=dict)
    end: int = 0
    terminated: bool = False


@dataclass(slots=True)
class _Walk:
    text: str
    limit: int
    pid: int | None
    leaks: bool
    body: Body
    address: str | None = None  # the headline's: the access line naming it wins
    interleaved: bool = False  # another process's report is mixed in: read past its shadow dump
    unknown: int = 0
    wrapped: tuple[int, str] | None = None  # frame index, text of a frame that may go on

    @property
    def current(self) -> Section:
        return self.body.sections[-1]

    def open(self, section: Section) -> None:
        self.current.closed = True
        self.body.sections.append(section)


def walk(
    text: str,
    pos: int,
    limit: int,
    pid: int | None,
    first_role: str | None,
    leaks: bool = False,
    address: str | None = None,
    interleaved: bool = False,
) -> Body:
    """Read the report body in text[pos:limit].

    `first_role` names the stack right after the headline (None: frames there
    belong to no stack); `leaks` says a LeakSanitizer report is read, which
    ends at its SUMMARY line. `address` is the headline's: where two
    processes' reports interleave, the access and location lines that name it
    are this report's. `interleaved`: they do, so a shadow dump (perhaps the
    other's) does not end the report; its own `==pid==ABORTING` does.
    """
    body = Body([Section(first_role, pos)], end=pos)
    state = _Walk(text, limit, pid, leaks, body, address, interleaved)
    find = text.find
    while pos < limit:
        # Frames are most lines of a report: they take the short way.
        pos = _frames(state, pos)
        if pos >= limit:
            break
        newline = find("\n", pos, limit)
        end = limit if newline < 0 else newline + 1
        line = text[pos:end].rstrip()
        if not _line(state, pos, end, line):
            break
        pos = end
        summarized = "summary" in state.body.facts and not state.interleaved
        too_many = _MAX_UNKNOWN_AFTER_SUMMARY if summarized else _MAX_UNKNOWN
        if state.unknown > too_many:
            break
    state.current.closed = state.current.closed or state.body.terminated
    return state.body


def _line(state: _Walk, start: int, end: int, line: str) -> bool:
    """Take one line that is not a frame; False when the report ended."""
    if line.startswith("=="):
        prefix = _PID.match(line)
        if prefix is not None:
            if state.pid is not None and int(prefix.group("pid")) != state.pid:
                return True
            line = line[prefix.end() :]
    stripped = line.lstrip()
    if not stripped:
        _blank(state, end)
        return True
    if stripped[0] == "#" and _frame(state, end, stripped):
        return True
    wrapped, state.wrapped = state.wrapped, None
    if wrapped is not None and _continue_frame(state, end, wrapped, line):
        return True
    known = _structure(state, start, end, stripped)
    if known is None:
        state.unknown += 1
        return True
    state.unknown = 0
    if known:
        # A line that ends the report set the report's end itself.
        state.body.end = end
    return known


def _blank(state: _Walk, end: int) -> None:
    section = state.current
    if section.leak is not None and section.frames and not section.closed:
        section.end = end
        section.closed = True


def _frames(state: _Walk, pos: int) -> int:
    """Take the run of frame lines at `pos`; where the first other line starts."""
    match = FRAME_LINE_RE.match
    text, limit = state.text, state.limit
    while (found := match(text, pos, limit)) is not None:
        index, pc, tail = found.groups()
        frame = make_frame(index, pc, tail)
        if frame is None:
            break
        end = found.end()
        _add_frame(state, end, frame, found)
        pos = end
        if state.wrapped is not None:
            break
    return pos


def _frame(state: _Walk, end: int, stripped: str) -> bool:
    frame = parse_frame_line(stripped)
    if frame is None:
        return False
    _add_frame(state, end, frame, stripped)
    return True


def _add_frame(state: _Walk, end: int, frame: Frame, line: str | re.Match[str]) -> None:
    section = state.body.sections[-1]
    if section.frames and frame.index <= section.frames[-1].index:
        # A stack that starts over with no header: it cannot be placed.
        state.open(Section(None, end))
        section = state.current
    if section.closed and section.leak is not None:
        section.closed = False
    section.frames.append(frame)
    section.end = end
    state.body.end = end
    state.unknown = 0
    if frame_needs_more(frame):
        text = line if isinstance(line, str) else line.group()
        state.wrapped = (frame.index, text.strip())
    else:
        state.wrapped = None


def _continue_frame(state: _Walk, end: int, wrapped: tuple[int, str], line: str) -> bool:
    """Join a frame line the log wrapped at a fixed width with its rest."""
    frame = parse_frame_line(wrapped[1] + line)
    section = state.current
    if frame is None or frame_needs_more(frame) or not section.frames:
        return False
    if section.frames[-1].index != wrapped[0]:
        return False
    section.frames[-1] = frame
    section.end = end
    state.body.end = end
    return True


def _structure(state: _Walk, start: int, end: int, line: str) -> bool | None:
    """Handle a line that is not a frame: True go on, False report ended, None unknown."""
    for pattern, handler in _DISPATCH.get(line[0], ()):
        found = pattern.match(line)
        if found is not None:
            return handler(state, found, start, end, line)
    if g.KNOWN_NOISE.re.match(line):
        return True
    return None


def _access(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    if _first_or_own(state, "address", found.group("address")):
        state.body.facts.update({k: v for k, v in found.groupdict().items() if v is not None})
    return True


def _first_or_own(state: _Walk, fact: str, address: str) -> bool:
    """True for the first line to say `fact`, or a later one naming the headline's address."""
    seen = state.body.facts.get(fact)
    return seen is None or (seen != state.address and address == state.address)


def _role(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    role = _ROLE_BY_WHAT[found.group("what")]
    state.open(Section(role, start, line, found.group("thread")))
    return True


def _thread(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    state.open(Section("thread", start, line, found.group("thread")))
    return True


def _leak(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    leak: dict[str, int | str] = {
        "leak": found.group("leak").lower(),
        "bytes": int(found.group("bytes")),
        "objects": int(found.group("objects")),
    }
    state.open(Section("alloc", start, line, leak=leak, end=end))
    return True


def _summary(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    state.body.facts["summary"] = line
    state.current.closed = True
    if state.leaks:
        state.body.terminated = True
        state.body.end = end
        return False
    return True


def _signal(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    state.body.facts["signal_access"] = found.group("access")
    return True


def _zero_page(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    state.body.facts["zero_page"] = "yes"
    return True


def _in_frame(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    state.open(Section(None, start))
    return True


def _located(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    if _first_or_own(state, "located_address", found.group("address")):
        state.body.facts["located_address"] = found.group("address")
        state.body.facts["located"] = found.group("located")
        state.body.facts["relation"] = found.group("relation").split()[-2]
    return True


def _registered(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    state.open(Section("alloc", start, line))
    return True


def _odr_global(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    if found.group("which") == "1":
        state.body.facts["global"] = found.group("global")
        if found.group("location"):
            state.body.facts["global_location"] = found.group("location")
    return True


def _odr(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    # Where the two definitions were registered: the first is the global's
    # `alloc`, as for initialization-order-fiasco's `registered at:`.
    role = "alloc" if found.group("which") == "1" else "previous"
    state.open(Section(role, start, line))
    return True


def _end(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    state.body.terminated = True
    state.body.end = end
    return False


def _shadow(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    if state.interleaved:
        return True
    _skip_shadow(state, end)
    return False


def _noise(state: _Walk, found: re.Match[str], start: int, end: int, line: str) -> bool:
    return True


_Handler = Callable[[_Walk, re.Match[str], int, int, str], bool]
# First character of a line → the line elements it may be, most frequent first.
_DISPATCH: dict[str, tuple[tuple[re.Pattern[str], _Handler], ...]] = {
    "R": ((g.ACCESS.re, _access),),
    "W": ((g.ACCESS.re, _access),),
    "f": ((g.ROLE_HEADER.re, _role),),
    "p": ((g.ROLE_HEADER.re, _role),),
    "a": ((g.ROLE_HEADER.re, _role),),
    "T": ((g.THREAD_HEADER.re, _thread), (g.SIGNAL_ACCESS.re, _signal)),
    "D": ((g.LEAK_HEADER.re, _leak),),
    "I": ((g.LEAK_HEADER.re, _leak),),
    "S": ((g.SUMMARY.re, _summary), (g.SHADOW_START.re, _shadow)),
    "H": ((g.ZERO_PAGE.re, _zero_page),),
    "A": (
        (g.IN_STACK_FRAME.re, _in_frame),
        (g.LOCATED.re, _located),
        (g.ABORTING.re, _end),
    ),
    "0": ((g.IN_STACK_FRAME.re, _in_frame), (g.LOCATED.re, _located)),
    "r": ((g.REGISTERED_HEADER.re, _registered),),
    "[": ((g.ODR_HEADER.re, _odr), (g.ODR_GLOBAL.re, _odr_global)),
    "E": ((g.MEMORY_MAP_END.re, _end),),
    "<": ((g.EMPTY_STACK.re, _noise),),
}


def _skip_shadow(state: _Walk, pos: int) -> None:
    """Jump over the shadow dump and legend to the report's end."""
    body = state.body
    body.end = pos
    marker = f"=={state.pid}==ABORTING" if state.pid is not None else "==ABORTING"
    found = state.text.find(marker, pos, min(state.limit, pos + _SHADOW_WINDOW))
    if found >= 0:
        newline = state.text.find("\n", found, state.limit)
        body.end = state.limit if newline < 0 else newline + 1
        body.terminated = True
        return
    for _start, end, line in iter_lines(state.text, pos, state.limit):
        if not line or not _is_shadow_line(line):
            return
        body.end = end
        if g.LEGEND_END.re.match(line):
            body.terminated = True


def _is_shadow_line(line: str) -> bool:
    return bool(
        g.SHADOW_LINE.re.match(line)
        or g.LEGEND_START.re.match(line)
        or (line.startswith("  ") and ":" in line)
    )
