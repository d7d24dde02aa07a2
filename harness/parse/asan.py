"""ASan and LSan reports: from a start marker to model.Report values.

The headline grammar lives in `headline.py`, the lines after it in `lines.py`
and `body.py`; this module holds the kind table and turns what they read into
Reports, one per ASan error and one per LeakSanitizer leak block. Reports of
two processes printed at one moment interleave; each keeps what is surely its
own (`_disentangle`).

An odr-violation has no stack of its own, only where the runtime registered
the global's two definitions (`[1]:` is the `alloc` stack, `[2]:` the
`previous` one), and those are the runtime's and the loader's frames. Its
crash stack is one frame: the first definition as the runtime names it
(`[1] size=40 'table' a.c:1:5` gives function `table`, file a.c, line 1), so
that the finding is keyed by the global, the same under gcc and clang.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from harness.model import Frame, Report, Source, Stack, Unparsed
from harness.parse import scan
from harness.parse.body import Body, Section, walk
from harness.parse.headline import parse_headline
from harness.parse.ubsan import location_frame

# The sanitizer's name for an error → the harness kind, where they differ.
# Everything else keeps the sanitizer's own words (`heap-buffer-overflow`).
KINDS = {
    "SEGV": "segv",
    "BUS": "bus",
    "FPE": "fpe",
    "ABRT": "abrt",
    "ILL": "ill",
    "TRAP": "trap",
    # The runtime's RSS watchdog and its allocator's RSS check are one event.
    "rss-limit-exceeded": "out-of-memory",
}
# The other sanitizers print their signal reports (`ERROR: ThreadSanitizer:
# SEGV on unknown address ...`) and allocator errors in ASan's words.
TOOLS = {
    "AddressSanitizer": "asan",
    "LeakSanitizer": "lsan",
    "UndefinedBehaviorSanitizer": "ubsan",
    "MemorySanitizer": "msan",
    "ThreadSanitizer": "tsan",
}
# A SEGV below this address is a null pointer plus a small offset
# (ClusterFuzz uses the same bound).
NULL_PAGE_END = 4096
# Headline fields kept in Report.details as they are.
_DETAIL_FIELDS = ("allocated_with", "freed_with", "detail", "size", "ranges")

Found = tuple[list[Report], list[Unparsed], int]


def kind_of(name: str) -> str:
    """The harness kind for a sanitizer's name of an error."""
    return KINDS.get(name, name.lower())


def read_marker(text: str, marker: scan.Marker, limit: int, log: str) -> Found:
    """Reports starting at `marker`, what could not be read, and where they end."""
    if marker.kind == scan.FATAL:
        reason = "LeakSanitizer failed and checked no leaks (it does not work under ptrace)"
        return [], [Unparsed(log, marker.offset, reason)], _line_end(text, marker.offset)
    if marker.kind == scan.CHECK:
        line = _headline_text(text, marker)
        return (
            [],
            [Unparsed(log, marker.offset, f"sanitizer runtime failed: {line}")],
            (_line_end(text, marker.offset)),
        )
    if marker.kind == scan.LEAK_BLOCK:
        body = walk(text, marker.offset, limit, marker.pid, None, leaks=True)
        return _leaks(body, marker.pid, log), [], body.end
    return _error(text, marker, limit, log)


def _error(text: str, marker: scan.Marker, limit: int, log: str) -> Found:
    headline = _headline_text(text, marker)
    fields = parse_headline(headline)
    body_start = _line_end(text, marker.offset)
    name = fields.get("name") if fields else None
    if name == "leak":
        body = walk(text, body_start, limit, marker.pid, None, leaks=True)
        reports = _leaks(body, marker.pid, log)
        if reports:
            return reports, [], body.end
        return [], [Unparsed(log, marker.offset, "leak report with no leak block")], body.end
    address = fields.get("address") if fields else None
    body = walk(
        text,
        body_start,
        limit,
        marker.pid,
        _first_role(name),
        address=address,
        interleaved=marker.entangled,
    )
    if marker.entangled:
        body = _disentangle(body, fields.get("pc") if fields else None)
    if fields is None or name is None:
        fields = _from_summary(body)
        if fields is None:
            reason = f"unrecognized sanitizer headline: {headline[:160]}"
            return [], [Unparsed(log, marker.offset, reason)], body.end
    source = Source(log, marker.offset, body.end - marker.offset, marker.pid)
    return [_report(headline, fields, body, source)], [], body.end


# The first frame of a crash stack is the headline's pc or the instruction before it.
_PC_SLACK = 16


def _disentangle(body: Body, pc: str | None) -> Body:
    """The part of a report interleaved with another process's that is surely its own.

    The runtimes print a stack in one piece but with no pid, so two
    processes' stacks alternate whole. The crash stack is told apart by its
    first frame, at the headline's pc; the other stacks (freed by, allocated
    by) cannot be, and are left out: the report is marked truncated. Its
    access line is the one naming the headline's address (see `walk`).
    """
    target = int(pc, 16) if pc else None
    own = next(
        (
            section
            for section in body.sections
            if target is not None
            and section.frames
            and section.frames[0].index == 0
            and section.frames[0].pc is not None
            and abs(section.frames[0].pc - target) <= _PC_SLACK
        ),
        None,
    )
    sections = [dataclasses.replace(own, role="crash", header=None, thread=None)] if own else []
    return Body(sections, body.facts, body.end, terminated=False)


def _first_role(name: str | None) -> str | None:
    # odr-violation prints no stack after its headline; its `[1]:` does.
    return None if name in ("odr-violation", "rss-limit-exceeded") else "crash"


def _from_summary(body: Body) -> dict[str, Any] | None:
    """Fields from `SUMMARY: AddressSanitizer: NAME ...` when the headline is unknown."""
    summary = body.facts.get("summary", "")
    words = summary.split(": ", 2)
    if len(words) < 3 or not words[2].split():
        return None
    return {"tool": words[1], "name": words[2].split()[0], "headline": "unrecognized"}


def _report(headline: str, fields: dict[str, Any], body: Body, source: Source) -> Report:
    facts = body.facts
    kind = kind_of(fields["name"])
    address = facts.get("address") or fields.get("address")
    if kind == "segv" and _is_null(address, facts):
        kind = "null-dereference"
    access = facts.get("access") or facts.get("signal_access")
    size = facts.get("size")
    thread = facts.get("thread") or fields.get("thread")
    return Report(
        tool=TOOLS.get(fields.get("tool", ""), "asan"),
        kind=kind,
        source=source,
        headline=headline,
        access=access if access in ("READ", "WRITE") else None,
        access_size=int(size) if size else None,
        address=address,
        thread=thread,
        stacks=_global_stack(facts) + _stacks(body.sections, thread),
        summary=facts.get("summary"),
        truncated=not body.terminated,
        details=_details(fields, facts),
    )


def _is_null(address: str | None, facts: dict[str, str]) -> bool:
    if "zero_page" in facts:
        return True
    return address is not None and int(address, 16) < NULL_PAGE_END


def _details(fields: dict[str, Any], facts: dict[str, str]) -> dict[str, Any]:
    details: dict[str, Any] = {"sanitizer_kind": fields["name"]}
    details.update({key: fields[key] for key in _DETAIL_FIELDS if key in fields})
    if "located" in facts:
        details["located"] = facts["located"]
        details["relation"] = facts["relation"]
    if "global" in facts:
        details["global"] = facts["global"]
    if fields.get("headline") == "unrecognized":
        details["headline"] = "unrecognized"
    return details


def _global_stack(facts: dict[str, str]) -> tuple[Stack, ...]:
    """An odr-violation's crash stack: the global's first definition."""
    if "global" not in facts:
        return ()
    place = location_frame(facts.get("global_location", "<unknown>")) or Frame(0)
    return (Stack("crash", (dataclasses.replace(place, function=facts["global"]),)),)


def _stacks(sections: list[Section], thread: str | None) -> tuple[Stack, ...]:
    stacks = []
    for section in sections:
        if section.role is None or not section.frames:
            continue
        owner = thread if section.role == "crash" else section.thread
        stacks.append(Stack(section.role, tuple(section.frames), owner, section.header))
    return tuple(stacks)


def _leaks(body: Body, pid: int | None, log: str) -> list[Report]:
    """One Report per leak block, each with its allocation stack."""
    reports = []
    for section in body.sections:
        if section.leak is None or section.header is None:
            continue
        frames = tuple(section.frames)
        source = Source(log, section.offset, section.end - section.offset, pid)
        stacks = (Stack("alloc", frames, None, section.header),) if frames else ()
        reports.append(
            Report(
                tool="lsan",
                kind="leak",
                source=source,
                headline=section.header,
                stacks=stacks,
                truncated=not section.closed,
                details=dict(section.leak),
            )
        )
    return reports


def _headline_text(text: str, marker: scan.Marker) -> str:
    """The marker's line from `ERROR:` (or the tool's name) on, without `==pid==`."""
    line = text[marker.offset : _line_end(text, marker.offset)].strip()
    if line.startswith("=="):
        line = line[line.find("==", 2) + 2 :].lstrip()
    return line


def _line_end(text: str, pos: int) -> int:
    newline = text.find("\n", pos)
    return len(text) if newline < 0 else newline + 1
