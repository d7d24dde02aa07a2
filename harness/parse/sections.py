"""A small report walker over the shared frame grammar, for the families after ASan.

MemorySanitizer, ThreadSanitizer and UndefinedBehaviorSanitizer reports are a
headline, then sections (a header line, then `#N` frames), then a SUMMARY
line. Each family declares its section headers and fact lines as `Rule`s; this
walker reads the lines, builds frames with `frames.make_frame` (and its cache),
and leaves the meaning of each section to the family. ASan keeps its own,
tuned walker in `body.py`.

Like ASan's walker it never ends a stack at a blank line: only a new header,
the SUMMARY line or a run of lines it does not know ends one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.model import Frame
from harness.parse.frames import FRAME_LINE_RE, make_frame

_PID = re.compile(r"==(?P<pid>\d+)==")
_LOOK_PAST = 4


@dataclass(frozen=True, slots=True)
class Rule:
    """A line the family knows. `opens` True: it heads a section named `name`;
    False: it is a fact kept under `name` (the first one wins)."""

    pattern: re.Pattern[str]
    name: str
    opens: bool = True


@dataclass(slots=True)
class Section:
    """Frames under one header; `name` None for the frames right after the headline."""

    name: str | None
    offset: int
    header: str | None = None
    match: re.Match[str] | None = None
    frames: list[Frame] = field(default_factory=list)


@dataclass(slots=True)
class Walked:
    sections: list[Section]
    facts: dict[str, re.Match[str]] = field(default_factory=dict)
    summary: str | None = None
    end: int = 0
    terminated: bool = False


@dataclass(frozen=True, slots=True)
class Grammar:
    """What one family's report body may hold after its headline."""

    rules: Sequence[Rule]
    summary: re.Pattern[str]
    # A line printed right after the SUMMARY that still belongs to the report.
    trailer: re.Pattern[str] | None = None
    # Lines that carry nothing to keep but belong to the report.
    noise: re.Pattern[str] | None = None
    max_unknown: int = 50
    # UBSan: a blank line after the stack ends the report (GCC prints no SUMMARY).
    blank_ends_stack: bool = False


def walk(text: str, pos: int, limit: int, pid: int | None, grammar: Grammar) -> Walked:
    """Read the report body in text[pos:limit]."""
    walked = Walked([Section(None, pos)], end=pos)
    unknown = 0
    while pos < limit:
        newline = text.find("\n", pos, limit)
        end = limit if newline < 0 else newline + 1
        line = text[pos:end].rstrip()
        if line.startswith("=="):
            prefix = _PID.match(line)
            if prefix is not None:
                if pid is not None and int(prefix.group("pid")) != pid:
                    pos = end
                    continue
                line = line[prefix.end() :]
        stripped = line.lstrip()
        frames = walked.sections[-1].frames
        if (
            not stripped
            and grammar.blank_ends_stack
            and frames
            and not _goes_on(text, end, limit, frames)
        ):
            walked.end, walked.terminated = end, True
            _summary_after(text, end, limit, walked, grammar)
            break
        known = _line(walked, grammar, pos, end, stripped)
        if known is None:
            unknown += 1
            if unknown > grammar.max_unknown:
                break
        else:
            unknown = 0
            if known:
                walked.end = end
        if walked.terminated:
            _trailer(text, end, limit, walked, grammar)
            break
        pos = end
    return walked


def _line(walked: Walked, grammar: Grammar, start: int, end: int, line: str) -> bool | None:
    """True: a line of the report; False: a blank or noise line; None: unknown."""
    if not line:
        return False
    if line[0] == "#":
        found = FRAME_LINE_RE.match(line)
        frame = make_frame(*found.groups()) if found is not None else None
        if frame is not None:
            _add_frame(walked, start, frame)
            return True
    if grammar.summary.match(line):
        walked.summary = line
        walked.terminated = True
        return True
    for rule in grammar.rules:
        found = rule.pattern.match(line)
        if found is None:
            continue
        if rule.opens:
            walked.sections.append(Section(rule.name, start, line, found))
        else:
            walked.facts.setdefault(rule.name, found)
        return True
    if grammar.noise is not None and grammar.noise.match(line):
        return False
    return None


def _add_frame(walked: Walked, start: int, frame: Frame) -> None:
    section = walked.sections[-1]
    if section.frames and frame.index <= section.frames[-1].index:
        # A stack that starts over with no header: it cannot be placed.
        section = Section("unplaced", start)
        walked.sections.append(section)
    section.frames.append(frame)


def _goes_on(text: str, pos: int, limit: int, frames: list[Frame]) -> bool:
    """True when the next line that is not blank continues the stack (the blank was noise)."""
    while pos < limit and text[pos] in " \t\r\n":
        pos += 1
    found = FRAME_LINE_RE.match(text, pos, limit)
    return found is not None and int(found.group("index")) == frames[-1].index + 1


def _summary_after(text: str, pos: int, limit: int, walked: Walked, grammar: Grammar) -> None:
    """Take the SUMMARY line when it follows the blank line that ended a stack.

    Program output may come between them; a few lines of it are looked past.
    """
    for _ in range(_LOOK_PAST):
        if pos >= limit or FRAME_LINE_RE.match(text, pos, limit):
            return
        newline = text.find("\n", pos, limit)
        end = limit if newline < 0 else newline + 1
        line = text[pos:end].strip()
        if grammar.summary.match(line):
            walked.summary, walked.end = line, end
            return
        pos = end


def _trailer(text: str, pos: int, limit: int, walked: Walked, grammar: Grammar) -> None:
    if grammar.trailer is None or pos >= limit:
        return
    newline = text.find("\n", pos, limit)
    end = limit if newline < 0 else newline + 1
    line = text[pos:end].strip()
    prefix = _PID.match(line)
    if prefix is not None:
        line = line[prefix.end() :]
    if grammar.trailer.match(line):
        walked.end = end
