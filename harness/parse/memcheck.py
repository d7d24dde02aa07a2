"""Valgrind memcheck errors, text and XML, mapped onto the sanitizers' kinds.

One bug seen by memcheck one night and by ASan the next must be one finding,
so memcheck's kinds become the kinds ASan would print for the same access.
For invalid accesses the `Address 0x.. is ...` line decides, as ASan's own
shadow memory does:

    memcheck kind        condition                               kind, access
    -------------------  --------------------------------------  ------------------------------
    InvalidRead/Write    N bytes before/after/inside a block     heap-buffer-overflow READ/WRITE
                         ... alloc'd
                         inside/near a block ... free'd          heap-use-after-free READ/WRITE
                         N bytes inside data symbol              global-buffer-overflow
                         on thread N's stack, below the stack    stack-use-after-return
                         pointer
                         on thread N's stack                     stack-buffer-overflow
                         not stack'd, malloc'd or free'd:
                         address < 4096                          null-dereference READ/WRITE
                         any other address                       segv READ/WRITE
    InvalidFree          the block was already free'd            double-free
                         otherwise                               bad-free
    MismatchedFree                                               alloc-dealloc-mismatch
    Overlap              in F(dst, src, n)                       F-param-overlap (memcpy-, ...)
    UninitCondition                                              use-of-uninitialized-value
    UninitValue                                                  use-of-uninitialized-value
    SyscallParam         uninitialised byte(s)                   use-of-uninitialized-value
                         unaddressable byte(s)                   as InvalidRead, by the address
    ClientCheck          as SyscallParam
    FishyValue           argument of malloc/calloc/realloc/...   allocation-size-too-big
                         argument of any other function          negative-size-param
    InvalidJump          to an address < 4096                    null-dereference
                         elsewhere                               segv
    InvalidAlignment                                             invalid-allocation-alignment
    Leak_DefinitelyLost                                          leak, details leak=direct
    Leak_IndirectlyLost                                          leak, details leak=indirect
    Leak_PossiblyLost                                            leak, details leak=possible
    Leak_StillReachable  not a bug (LeakSanitizer does not       no report
                         report it either)
    fatal signal         SIGSEGV (address < 4096:                segv, bus, fpe, abrt, ill, trap
                         null-dereference), SIGBUS, SIGFPE,      (dropped when an invalid access
                         SIGABRT, SIGILL, SIGTRAP                at the same address came first)

Stacks: the error's own stack is `crash` (for leaks: `alloc`); `Address ...
alloc'd` and `Block was alloc'd at` → `alloc`; `Address ... free'd` → `free`;
`Uninitialised value was created by ...` → `origin`. A `possible` leak keeps
kind `leak`: a pointer into the middle of the block still exists, so it may be
a false alarm, and the detail lets a reader or a signature tell it apart.

This module holds the mapping; `memcheck_text.py` reads the text form (an
error runs from its headline to the next empty `==pid==` line) and
`memcheck_xml.py` the `<error>` elements of `--xml=yes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.model import Frame, Report, Source, Stack

NULL_PAGE_END = 4096
ALLOCATORS = frozenset(
    {
        "malloc",
        "calloc",
        "realloc",
        "memalign",
        "posix_memalign",
        "aligned_alloc",
        "valloc",
        "pvalloc",
        "reallocarray",
        "operator new",
        "operator new[]",
        "__builtin_new",
        "__builtin_vec_new",
    }
)

# THE table: memcheck's kind → (harness kind, access). None: the address decides.
KINDS: dict[str, tuple[str | None, str | None]] = {
    "InvalidRead": (None, "READ"),
    "InvalidWrite": (None, "WRITE"),
    "InvalidFree": ("bad-free", None),
    "MismatchedFree": ("alloc-dealloc-mismatch", None),
    "Overlap": ("memcpy-param-overlap", None),
    "UninitCondition": ("use-of-uninitialized-value", None),
    "UninitValue": ("use-of-uninitialized-value", None),
    "SyscallParam": ("use-of-uninitialized-value", None),
    "ClientCheck": ("use-of-uninitialized-value", None),
    "FishyValue": ("negative-size-param", None),
    "InvalidJump": ("segv", None),
    "InvalidAlignment": ("invalid-allocation-alignment", None),
    "Leak_DefinitelyLost": ("leak", None),
    "Leak_IndirectlyLost": ("leak", None),
    "Leak_PossiblyLost": ("leak", None),
    "FatalSignal": ("segv", None),
}
LEAKS = {
    "Leak_DefinitelyLost": "direct",
    "Leak_IndirectlyLost": "indirect",
    "Leak_PossiblyLost": "possible",
}
SKIPPED = frozenset({"Leak_StillReachable"})
SIGNALS = {
    "SIGSEGV": "segv",
    "SIGBUS": "bus",
    "SIGFPE": "fpe",
    "SIGABRT": "abrt",
    "SIGILL": "ill",
    "SIGTRAP": "trap",
}
# `Address 0x.. is ...` → kind, first match wins.
_PLACES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (r".* block of size [\d,]+ free'd", "heap-use-after-free"),
        (r".* block of size [\d,]+ (?:alloc'd|client-defined)", "heap-buffer-overflow"),
        (r".* inside data symbol", "global-buffer-overflow"),
        (r".* below stack pointer", "stack-use-after-return"),
        (r".* on thread \d+'s stack", "stack-buffer-overflow"),
    )
)
_SIZE = re.compile(r"of size (?P<size>\d+)")
_OVERLAP = re.compile(r"overlap in (?P<function>[\w]+)\((?P<address>0x[0-9a-fA-F]+)")
_FISHY = re.compile(
    r"Argument '(?P<argument>.*)' of function (?P<function>.*) has a fishy .*: (?P<value>-?\d+)"
)
_AT_ADDRESS = re.compile(r"(?:Address |at address |invalid address |^)(?P<address>0x[0-9a-fA-F]+)")


@dataclass(slots=True)
class Error:
    """One memcheck error as either form says it, before it becomes a Report."""

    kind: str
    what: str
    stacks: list[tuple[str | None, tuple[Frame, ...]]] = field(default_factory=list)
    auxwhat: list[str] = field(default_factory=list)
    leaked: tuple[int, int] | None = None
    signal: str | None = None
    address: str | None = None
    complete: bool = True


def to_report(error: Error, source: Source) -> Report | None:
    """The Report for one memcheck error; None for what is no bug (still reachable)."""
    if error.kind in SKIPPED:
        return None
    kind, access = KINDS.get(error.kind, (error.kind.lower(), None))
    described = next((aux for aux in error.auxwhat if aux.startswith("Address ")), None)
    address = error.address or address_in(described or "") or address_in(error.what)
    kind = _refine(error, kind, described, address)
    size = _SIZE.search(error.what) if access else None
    details: dict[str, Any] = {"memcheck_kind": error.kind, "what": error.what}
    if described:
        details["located"] = described
    if error.kind in LEAKS:
        details["leak"] = LEAKS[error.kind]
        if error.leaked:
            details["bytes"], details["objects"] = error.leaked
    details.update(_message_details(error))
    return Report(
        tool="memcheck",
        kind=kind,
        source=source,
        headline=error.what,
        access=access,
        access_size=int(size.group("size")) if size else None,
        address=address,
        stacks=_stacks(error),
        truncated=not error.complete,
        details=details,
    )


def _refine(error: Error, kind: str | None, described: str | None, address: str | None) -> str:
    """The kind where the table leaves it to the address, the message or the signal."""
    if error.kind == "FatalSignal":
        kind = SIGNALS.get(error.signal or "", "segv")
    elif error.kind == "InvalidFree":
        return "double-free" if described and "free'd" in described else "bad-free"
    elif error.kind == "Overlap":
        found = _OVERLAP.search(error.what)
        name = found.group("function").strip("_").removesuffix("_chk") if found else "memcpy"
        return f"{name}-param-overlap"
    elif error.kind == "FishyValue":
        found = _FISHY.match(error.what)
        return (
            "allocation-size-too-big"
            if found and found.group("function") in ALLOCATORS
            else "negative-size-param"
        )
    elif error.kind in ("SyscallParam", "ClientCheck") and "unaddressable" in error.what:
        kind = None
    if kind is None:
        kind = _place(described) or "segv"
    if kind == "segv" and address is not None and int(address, 16) < NULL_PAGE_END:
        return "null-dereference"
    return kind


def _place(described: str | None) -> str | None:
    if described is None:
        return None
    text = described.split(" is ", 1)[-1]
    return next((kind for pattern, kind in _PLACES if pattern.match(text)), None)


def _message_details(error: Error) -> dict[str, Any]:
    if error.kind == "FishyValue":
        found = _FISHY.match(error.what)
        if found:
            return {
                "function": found.group("function"),
                "argument": found.group("argument"),
                "value": int(found.group("value")),
            }
    if error.kind == "FatalSignal" and error.signal:
        return {"signal": error.signal}
    return {}


def _stacks(error: Error) -> tuple[Stack, ...]:
    stacks = []
    for header, frames in error.stacks:
        if header is None:
            role = "alloc" if error.kind in LEAKS else "crash"
        elif header.startswith("Uninitialised value was created"):
            role = "origin"
        elif "free'd" in header:
            role = "free"
        else:
            role = "alloc"
        stacks.append(Stack(role, frames, None, header or error.what))
    return tuple(stacks)


def drop_repeated_signals(reports: list[Report]) -> list[Report]:
    """Drop a fatal signal that only repeats the invalid access reported just before it."""
    kept: list[Report] = []
    for report in reports:
        if report.tool == "memcheck" and report.details.get("memcheck_kind") == "FatalSignal":
            # Other processes' reports may stand in between: look at this one's.
            own = [earlier for earlier in kept if earlier.source.pid == report.source.pid]
            if any(_same_fault(earlier, report) for earlier in own[-3:]):
                continue
        kept.append(report)
    return kept


def _same_fault(earlier: Report, signal: Report) -> bool:
    return (
        earlier.tool == "memcheck"
        and earlier.source.pid == signal.source.pid
        and earlier.address is not None
        and signal.address is not None
        and int(earlier.address, 16) == int(signal.address, 16)
    )


def address_in(text: str) -> str | None:
    """The first address a memcheck line names (`Address 0x..`, `at address 0x..`)."""
    found = _AT_ADDRESS.search(text)
    return found.group("address") if found else None
