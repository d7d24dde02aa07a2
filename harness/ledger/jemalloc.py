"""The jemalloc ledger: jemalloc's final heap profile → allocations and unfreed blocks.

With MALLOC_CONF=prof:true,lg_prof_sample:0,prof_accum:true,prof_final:true
jemalloc records the stack of every allocation and at exit writes
`<prefix>.<pid>.<seq>.f.heap`:

    heap_v2/1
      t*: 3: 86032 [7: 90664]            live objects: bytes [allocated objects: bytes]
    @ 0x7f..630 0x7f..d21 ... 0x5561..400 0x7f..24a
      t*: 1: 16 [3: 40]
      t0: 1: 16 [3: 40]
    MAPPED_LIBRARIES:
    5561...-5561... r-xp 00001000 fe:00 2146850   /path/to/program

The addresses are return addresses, symbolized against the maps copy that
ends the file. Bytes are jemalloc's size classes, not the sizes requested.
Frees are not recorded one by one: freed = allocated - live, and there is no
peak. Calls are allocations per allocator function: jemalloc's entry points
hand over to unnamed internal functions, so the function called is read from
the caller's call instruction (symbols.called_function) where no exported
symbol of jemalloc holds a frame. The summary jemalloc prints at exit
(`<jemalloc>: Leak approximation summary: ~N bytes, ~M objects, >= K
contexts`) is kept as a note.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.ledger import symbols
from harness.ledger.model import JEMALLOC, OPERATORS, Group, Ledger, allocator_name
from harness.ledger.symbols import Module, ModuleMap
from harness.model import Frame

_HEADER = re.compile(r"^heap_v2/\d+")
_COUNTS = re.compile(r"^\s*t\*:\s*(\d+):\s*(\d+)\s*\[\s*(\d+):\s*(\d+)\s*\]")
_STACK = re.compile(r"^@((?:\s+0x[0-9a-fA-F]+)+)\s*$")
_MAP = re.compile(
    r"^(?P<start>[0-9a-f]+)-(?P<end>[0-9a-f]+)\s+\S+\s+(?P<offset>[0-9a-f]+)\s+\S+\s+\d+\s+(?P<path>/.*)$"
)
SUMMARY = re.compile(r"<jemalloc>: Leak approximation summary: ~(\d+) bytes, ~(\d+) objects")
JEMALLOC_MODULE = "libjemalloc"
# malloc's fast path tail-calls its slow path and leaves no frame: an entry
# frame inside no exported function is malloc's.
DEFAULT_ENTRY = "malloc"


@dataclass(frozen=True, slots=True)
class Record:
    """One stack of the profile: objects and bytes live at exit and allocated in all."""

    addresses: tuple[int, ...]
    live_objects: int
    live_bytes: int
    objects: int
    bytes: int
    offset: int


@dataclass(frozen=True, slots=True)
class Profile:
    total: Record | None
    records: tuple[Record, ...]
    modules: tuple[Module, ...]
    skipped: int  # lines not understood


def read_profile(data: bytes) -> Profile:
    """Parse a heap_v2 profile. Never raises on its content."""
    total: Record | None = None
    records: list[Record] = []
    maps: list[tuple[int, int, int, str]] = []
    skipped = 0
    stack: tuple[tuple[int, ...], int] | None = None
    in_maps = False
    offset = 0
    for raw in data.splitlines(keepends=True):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        here, offset = offset, offset + len(raw)
        if in_maps:
            found = _MAP.match(line)
            if found:
                maps.append(_map_entry(found))
            continue
        if line.startswith("MAPPED_LIBRARIES:"):
            in_maps = True
            continue
        if not line.strip() or _HEADER.match(line) or re.match(r"^\s*t\d+:", line):
            continue
        addresses = _STACK.match(line)
        counts = _COUNTS.match(line)
        if addresses:
            stack = (tuple(int(a, 16) for a in addresses.group(1).split()), here)
        elif counts:
            live, size, objects, allocated = (int(value) for value in counts.groups())
            if stack is None and total is None:
                total = Record((), live, size, objects, allocated, here)
            elif stack is not None:
                records.append(Record(stack[0], live, size, objects, allocated, stack[1]))
                stack = None
        else:
            skipped += 1
    return Profile(total, tuple(records), _modules(maps), skipped)


def _map_entry(found: re.Match[str]) -> tuple[int, int, int, str]:
    return (
        int(found.group("start"), 16),
        int(found.group("end"), 16),
        int(found.group("offset"), 16),
        found.group("path").strip(),
    )


def _modules(maps: Sequence[tuple[int, int, int, str]]) -> tuple[Module, ...]:
    """One Module per file: its base (the start of its offset-0 mapping) to its last end."""
    extents: dict[str, tuple[int, int]] = {}
    for start, end, file_offset, path in maps:
        if path.startswith("["):
            continue
        base, last = extents.get(path, (start - file_offset, end))
        extents[path] = (min(base, start - file_offset), max(last, end))
    return tuple(Module(path, base, end) for path, (base, end) in extents.items())


def leak_summary(stderr: str) -> tuple[int, int] | None:
    """(bytes, objects) from jemalloc's exit summary, if it printed one."""
    found = SUMMARY.search(stderr)
    return (int(found.group(1)), int(found.group(2))) if found else None


def ledger(heap: Path, binary: Path, shown: str, stderr: str = "") -> Ledger:
    """The ledger of one profiled run from its final heap profile."""
    profile = read_profile(heap.read_bytes())
    modules = ModuleMap(profile.modules)
    addresses = [address for record in profile.records for address in record.addresses]
    frames = symbols.frames_at(modules, addresses, back=1)
    calls: Counter[str] = Counter()
    grouped: dict[tuple[object, ...], list[tuple[Record, tuple[Frame, ...], str]]] = {}
    for record in profile.records:
        chain = [frame for address in record.addresses for frame in frames[address]]
        allocator, stack = split_stack(chain)
        calls[allocator] += record.objects
        if record.live_objects:
            grouped.setdefault(_key(stack), []).append((record, stack, allocator))
    groups = tuple(
        sorted(
            (_group(members, binary) for members in grouped.values()),
            key=lambda group: (not group.own, -group.bytes, group.offset),
        )
    )
    total = profile.total
    notes = _notes(profile, leak_summary(stderr))
    return Ledger(
        method=JEMALLOC,
        log=shown,
        calls=tuple(sorted(calls.items())),
        allocated=total.bytes if total else None,
        freed=total.bytes - total.live_bytes if total else None,
        peak=None,
        groups=groups,
        notes=notes,
    )


def split_stack(chain: Sequence[Frame]) -> tuple[str, tuple[Frame, ...]]:
    """(the allocator function the program called, the frames from its caller on).

    jemalloc's own frames come first, the entry point the program (or libc)
    called among them; allocating wrappers past it (strdup) go too, and the
    outermost of them names the call."""
    index = 0
    entry: str | None = None
    while index < len(chain) and JEMALLOC_MODULE in Path(chain[index].module or "").name:
        frame = chain[index]
        if frame.module and frame.module_offset is not None:
            entry = symbols.exported_function(frame.module, frame.module_offset) or entry
        index += 1
    if entry is None and index < len(chain):
        entry = _called_by(chain[index])
    allocator = OPERATORS.get(entry, entry) if entry else DEFAULT_ENTRY
    while index < len(chain) and allocator_name(chain[index].function):
        allocator = allocator_name(chain[index].function) or allocator
        index += 1
    rest = chain[index:] or chain[-1:]
    return allocator, tuple(
        Frame(number, f.pc, f.function, f.file, f.line, f.column, f.module, f.module_offset)
        for number, f in enumerate(rest)
    )


def _called_by(caller: Frame) -> str | None:
    """The allocator the first frame past jemalloc called, read from its call
    instruction: jemalloc's entry points hand over to internal functions that
    leave no named frame, so realloc and operator new look like malloc's slow
    path from inside."""
    if caller.module is None or caller.module_offset is None:
        return None
    called = symbols.called_function(caller.module, caller.module_offset)
    if called is None:
        return None
    return called if called in OPERATORS or allocator_name(called) else None


def _key(stack: tuple[Frame, ...]) -> tuple[object, ...]:
    top = stack[0] if stack else None
    if top is None:
        return (None,)
    if top.function:
        return (top.function, top.file, top.line)
    return (top.module, top.module_offset)


def _group(members: list[tuple[Record, tuple[Frame, ...], str]], binary: Path) -> Group:
    first = min(members, key=lambda member: member[0].offset)
    record, stack, allocator = first
    own = bool(stack) and symbols.same_file(stack[0].module, binary)
    return Group(
        frames=stack,
        allocator=allocator,
        count=sum(member[0].live_objects for member in members),
        bytes=sum(member[0].live_bytes for member in members),
        own=own,
        offset=record.offset,
    )


def _notes(profile: Profile, summary: tuple[int, int] | None) -> tuple[str, ...]:
    notes = []
    if summary is not None:
        notes.append(f"jemalloc's own summary: ~{summary[0]} bytes in ~{summary[1]} objects")
    if profile.total is None:
        notes.append("the heap profile has no totals line: allocated and freed unknown")
    if profile.skipped:
        notes.append(f"{profile.skipped} line(s) of the heap profile were not understood")
    return tuple(notes)
