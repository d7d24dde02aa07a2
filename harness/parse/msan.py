"""MemorySanitizer reports: `==12==WARNING: MemorySanitizer: use-of-uninitialized-value`.

The stack after the headline is where the uninitialized value was used
(role `crash`). With `-fsanitize-memory-track-origins` the runtime then prints
where the value came from, newest first; every one of those stacks has role
`origin`, in the order printed, and keeps its header:

    Uninitialized value was stored to memory at          origin (a hop on the way)
    Uninitialized value was created by a heap allocation origin, details origin=heap
    Uninitialized value was created by an allocation of  origin, details origin=stack,
      'x' in the stack frame of function 'f'               variable=x, function=f
    Memory was marked as uninitialized                   origin (__msan_poison, free)

The heap allocation is an `origin`, not an `alloc`: `alloc` names the block an
out-of-bounds or freed access touched, and an uninitialized read touched no
wrong block. The last origin stack is the root of the chain.

The report ends at its SUMMARY line (and the `Exiting` after it).
"""

from __future__ import annotations

import re
from typing import Any

from harness.model import Report, Source, Stack, Unparsed
from harness.parse import scan, sections
from harness.parse.sections import Grammar, Rule

_HEADLINE = re.compile(r"(?:==\d+==)?WARNING: MemorySanitizer: (?P<name>[\w-]+)")
_STACK_ORIGIN = re.compile(
    r"Uninitialized value was created by an allocation of '(?P<variable>[^']*)'"
    r" in the stack frame(?: of function '(?P<function>[^']*)')?"
)
GRAMMAR = Grammar(
    rules=(
        Rule(re.compile(r"Uninitialized value was stored to memory at"), "stored"),
        Rule(re.compile(r"Uninitialized value was created by a heap allocation"), "heap"),
        Rule(_STACK_ORIGIN, "stack"),
        Rule(re.compile(r"Uninitialized value was created"), "created"),
        Rule(re.compile(r"Memory was marked as uninitialized"), "marked"),
    ),
    summary=re.compile(r"SUMMARY: MemorySanitizer: "),
    trailer=re.compile(r"Exiting$"),
    noise=re.compile(r"MemorySanitizer:DEADLYSIGNAL|Hint: |WARNING: MemorySanitizer"),
)

Found = tuple[list[Report], list[Unparsed], int]


def read_marker(text: str, marker: scan.Marker, limit: int, log: str) -> Found:
    """The report at a `WARNING: MemorySanitizer:` marker, and where it ends."""
    line_end = _line_end(text, marker.offset, limit)
    headline = text[marker.offset : line_end].strip()
    found = _HEADLINE.match(headline)
    if found is None:
        reason = f"unrecognized MemorySanitizer headline: {headline[:160]}"
        return [], [Unparsed(log, marker.offset, reason)], line_end
    body = sections.walk(text, line_end, limit, marker.pid, GRAMMAR)
    end = max(body.end, line_end)
    stacks = []
    details: dict[str, Any] = {"sanitizer_kind": found.group("name")}
    for section in body.sections:
        if not section.frames:
            continue
        role = "crash" if section.name is None else "origin"
        if section.name == "unplaced":
            continue
        stacks.append(Stack(role, tuple(section.frames), None, section.header))
        _origin_details(section, details)
    report = Report(
        tool="msan",
        kind=found.group("name").lower(),
        source=Source(log, marker.offset, end - marker.offset, marker.pid),
        headline=headline[headline.find("WARNING:") :],
        stacks=tuple(stacks),
        summary=body.summary,
        truncated=not body.terminated,
        details=details,
    )
    return [report], [], end


def _origin_details(section: sections.Section, details: dict[str, Any]) -> None:
    if section.name == "heap":
        details["origin"] = "heap"
    elif section.name == "stack" and section.match is not None:
        details["origin"] = "stack"
        details["variable"] = section.match.group("variable")
        if section.match.group("function"):
            details["function"] = section.match.group("function")


def _line_end(text: str, pos: int, limit: int) -> int:
    newline = text.find("\n", pos, limit)
    return limit if newline < 0 else newline + 1
