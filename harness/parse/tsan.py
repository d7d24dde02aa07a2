"""ThreadSanitizer reports: `WARNING: ThreadSanitizer: data race (pid=12)`.

A report sits between two `==================` lines and ends at its SUMMARY.
The kind is the runtime's description made a name: lower case, hyphens, the
parenthesized aside dropped (`data race` → `data-race`, `lock-order-inversion
(potential deadlock)` → `lock-order-inversion`, `thread leak` → `thread-leak`,
`signal-unsafe call inside of a signal` → `signal-unsafe-call-inside-of-a-signal`).

Sections and their roles:

    Write of size 4 at 0x.. by thread T1 (mutexes: write M1):   crash; access WRITE 4
    Previous read of size 4 at 0x.. by main thread:              previous (the free for a
                                                                 heap-use-after-free: free)
    Location is heap block of size 4 at 0x.. allocated by ..:    alloc
    Mutex M1 (0x..) created at:                                  mutex
    Mutex M1 acquired here while holding mutex M0 in thread T1:  crash (first), previous
    Mutex M0 previously acquired by the same thread here:        previous
    Thread T1 (tid=.., running) created by main thread at:       thread (crash for a
                                                                 thread leak: it is the bug)
    frames right after the headline (signal-unsafe call, ...):   crash

Threads are named as ASan names them: `main thread` is `T0`.
"""

from __future__ import annotations

import re
from typing import Any

from harness.model import Report, Source, Stack, Unparsed
from harness.parse import scan, sections
from harness.parse.sections import Grammar, Rule

_HEADLINE = re.compile(r"WARNING: ThreadSanitizer: (?P<name>.+?) \(pid=(?P<pid>\d+)\)")
_THREAD = r"(?:main thread|thread (?P<thread>T\d+))"
_ACCESS = re.compile(
    r"(?P<previous>Previous )?(?P<atomic>[Aa]tomic )?(?P<access>[Ww]rite|[Rr]ead) of size"
    r" (?P<size>\d+) at (?P<address>0x[0-9a-fA-F]+) by " + _THREAD + r"(?P<rest>.*):$"
)
_MUTEXES = re.compile(r"\(mutexes: (?P<mutexes>[^)]*)\)")
GRAMMAR = Grammar(
    rules=(
        Rule(_ACCESS, "access"),
        Rule(re.compile(r"Location is heap block .* allocated by " + _THREAD), "alloc"),
        Rule(re.compile(r"Location is (?P<location>.*)"), "location", opens=False),
        Rule(re.compile(r"Mutex (?P<mutex>M\d+) .*created at:"), "mutex"),
        Rule(re.compile(r"Mutex (?P<mutex>M\d+) acquired here while holding mutex"), "acquired"),
        Rule(re.compile(r"Mutex (?P<mutex>M\d+) previously acquired"), "previous"),
        Rule(
            re.compile(
                r"Thread (?P<thread>T\d+)\b.*created by " + _THREAD.replace("thread>", "parent>")
            ),
            "thread",
        ),
        Rule(re.compile(r"Cycle in lock order graph: (?P<cycle>.*)"), "cycle", opens=False),
    ),
    summary=re.compile(r"SUMMARY: ThreadSanitizer: "),
    trailer=re.compile(r"={10,}$"),
    noise=re.compile(r"Hint: |ThreadSanitizer:DEADLYSIGNAL|As if synchronized via sleep"),
)

Found = tuple[list[Report], list[Unparsed], int]


def kind_of(name: str) -> str:
    """The harness kind for ThreadSanitizer's description of a report."""
    name = re.sub(r"\s*\([^)]*\)", "", name).strip()
    return re.sub(r"[\s_]+", "-", name).lower()


def read_marker(text: str, marker: scan.Marker, limit: int, log: str) -> Found:
    """The report at a `WARNING: ThreadSanitizer:` marker, and where it ends."""
    line_end = _line_end(text, marker.offset, limit)
    headline = text[marker.offset : line_end].strip()
    found = _HEADLINE.match(headline)
    if found is None:  # pragma: no cover - the scan matched the same pattern
        return (
            [],
            [Unparsed(log, marker.offset, f"unrecognized headline: {headline[:160]}")],
            line_end,
        )
    pid = int(found.group("pid"))
    body = sections.walk(text, line_end, limit, marker.pid, GRAMMAR)
    end = max(body.end, line_end)
    kind = kind_of(found.group("name"))
    stacks, facts = _stacks(body, kind)
    details: dict[str, Any] = {"sanitizer_kind": found.group("name")}
    details.update({k: v for k, v in facts.items() if k in ("mutexes", "previous_mutexes")})
    for name in ("location", "cycle"):
        if name in body.facts:
            details[name] = body.facts[name].group(name)
    size = facts.get("size")
    report = Report(
        tool="tsan",
        kind=kind,
        source=Source(log, marker.offset, end - marker.offset, pid),
        headline=found.group(0),
        access=facts.get("access"),
        access_size=int(size) if size else None,
        address=facts.get("address"),
        thread=facts.get("thread"),
        stacks=tuple(stacks),
        summary=body.summary,
        truncated=not body.terminated,
        details=details,
    )
    return [report], [], end


def _stacks(body: sections.Walked, kind: str) -> tuple[list[Stack], dict[str, str]]:
    """The report's stacks with their roles, and the crash access's facts."""
    stacks: list[Stack] = []
    facts: dict[str, str] = {}
    for section in body.sections:
        role, thread = _role(section, kind, facts, stacks)
        if role is None or not section.frames:
            continue
        stacks.append(Stack(role, tuple(section.frames), thread, section.header))
    return stacks, facts


def _role(
    section: sections.Section, kind: str, facts: dict[str, str], stacks: list[Stack]
) -> tuple[str | None, str | None]:
    found = section.match
    has_crash = any(stack.role == "crash" for stack in stacks)
    if section.name is None:
        return "crash", None
    if found is None or section.name == "unplaced":
        return None, None
    if section.name == "access":
        thread = found.group("thread") or "T0"
        mutexes = _MUTEXES.search(found.group("rest"))
        if found.group("previous"):
            if mutexes:
                facts.setdefault("previous_mutexes", mutexes.group("mutexes"))
            return ("free" if kind == "heap-use-after-free" else "previous"), thread
        if "access" not in facts:
            facts.update(access=found.group("access").upper(), size=found.group("size"))
            facts.update(address=found.group("address"), thread=thread)
            if mutexes:
                facts["mutexes"] = mutexes.group("mutexes")
        return "crash", thread
    if section.name == "acquired":
        return ("previous" if has_crash else "crash"), _thread_of(section.header)
    if section.name == "thread":
        role = "crash" if kind == "thread-leak" and not has_crash else "thread"
        return role, found.group("thread")
    if section.name == "alloc":
        return "alloc", found.group("thread") or "T0"
    return section.name, None


def _thread_of(header: str | None) -> str | None:
    found = re.search(r"in thread (T\d+)", header or "")
    if found:
        return found.group(1)
    return "T0" if header and "main thread" in header else None


def _line_end(text: str, pos: int, limit: int) -> int:
    newline = text.find("\n", pos, limit)
    return limit if newline < 0 else newline + 1
