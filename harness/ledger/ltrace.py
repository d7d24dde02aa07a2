"""The ltrace ledger: an allocator trace → calls, bytes, peak and unfreed blocks.

Pairing. Only the outermost allocator call counts: strdup's own malloc and
operator new's malloc happen inside it (the trace shows the outer call
`<unfinished ...>` around them) and are that call's block, attributed to its
call site; their size is the outer call's when it has none of its own. A
realloc frees its old block and allocates the new one at the realloc's site
(realloc(NULL, n) only allocates, realloc(p, 0) returning NULL only frees).
Blocks are keyed by address alone: threads share them (ltrace shows each
thread as its own pid), so a block freed by another thread still pairs.

Where the program was loaded: ltrace -i prints absolute return addresses
and the program is position-independent, so the load base is needed to
symbolize them. The trace holds it: __libc_start_main's first argument is
main's address, and main's value in the binary's symbol table is known, so
base = address - value. Libraries come from the dynamic linker's own report
(LD_DEBUG=files: each file's base and size, dlopen'd ones included).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.ledger import symbols
from harness.ledger.model import LTRACE, OPERATORS, Group, Ledger
from harness.ledger.symbols import Module, ModuleMap
from harness.ledger.trace_grammar import EXITED, RESUMED, START, Event, parse_line

START_MAIN = "__libc_start_main"
FREEING = frozenset({"free", "_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm"})
ALLOCATING = frozenset(
    {
        "malloc",
        "calloc",
        "realloc",
        "posix_memalign",
        "aligned_alloc",
        "memalign",
        "strdup",
        "strndup",
        "_Znwm",
        "_Znam",
    }
)
TRACED = FREEING | ALLOCATING
# glibc's aligned_alloc is an alias of memalign, and ltrace names the address
# memalign whichever of the two the program called.
SHOWN = {**OPERATORS, "memalign": "memalign/aligned_alloc"}


def shown_name(function: str) -> str:
    """The name the ledger shows for a traced function: C++'s operators as LSan
    names them, not by their symbols."""
    return SHOWN.get(function, function)


TOP = 1 << 64


@dataclass(frozen=True, slots=True)
class Call:
    """One outermost allocator call, finished. `inner` is the size of the block
    an allocator call made inside it allocated (strdup's malloc)."""

    pid: int | None
    pc: int | None
    function: str
    args: tuple[int | None, ...]
    result: int | None
    offset: int
    inner: int | None = None


@dataclass(frozen=True, slots=True)
class Trace:
    calls: tuple[Call, ...]
    main_address: int | None
    exit_status: int | None
    killed_by: str | None
    unparsed: int  # lines that are not ltrace's
    nested: int  # allocator calls made inside another allocator call


@dataclass(slots=True)
class _Pending:
    event: Event
    offset: int
    nested: bool
    inner: int | None = None


@dataclass(slots=True)
class _Reader:
    calls: list[Call] = field(default_factory=list)
    pending: dict[int | None, list[_Pending]] = field(default_factory=dict)
    main_address: int | None = None
    exit_status: int | None = None
    killed_by: str | None = None
    unparsed: int = 0
    nested: int = 0

    def feed(self, event: Event, offset: int) -> None:
        if event.kind == EXITED:
            if self.exit_status is None and self.killed_by is None:
                self.exit_status, self.killed_by = event.status, event.signal
            return
        if event.function == START_MAIN and event.kind == START:
            if self.main_address is None and event.args:
                self.main_address = event.args[0]
            return
        if event.function not in TRACED:
            return
        stack = self.pending.setdefault(event.pid, [])
        if event.kind == START:
            pending = _Pending(event, offset, nested=bool(stack))
            if event.unfinished:
                stack.append(pending)
            else:
                self._finish(stack, pending, event.args, event.result)
        elif event.kind == RESUMED:
            for index in range(len(stack) - 1, -1, -1):
                if stack[index].event.function == event.function:
                    pending = stack.pop(index)
                    self._finish(stack, pending, pending.event.args + event.args, event.result)
                    return

    def _finish(
        self,
        stack: list[_Pending],
        pending: _Pending,
        args: tuple[int | None, ...],
        result: int | None,
    ) -> None:
        start = pending.event
        if pending.nested:
            self.nested += 1
            size = requested(start.function or "", args, None)
            if stack and stack[-1].inner is None and size is not None:
                stack[-1].inner = size
            return
        call = Call(
            start.pid, start.pc, start.function or "", args, result, pending.offset, pending.inner
        )
        self.calls.append(call)


def read_trace(data: bytes) -> Trace:
    """The allocator calls in an ltrace output file. Never raises on its content."""
    reader = _Reader()
    offset = 0
    for raw in data.splitlines(keepends=True):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line.strip():
            event = parse_line(line)
            if event is None:
                reader.unparsed += 1
            else:
                reader.feed(event, offset)
        offset += len(raw)
    return Trace(
        tuple(reader.calls),
        reader.main_address,
        reader.exit_status,
        reader.killed_by,
        reader.unparsed,
        reader.nested,
    )


def program_exit(path: Path, tail: int = 8192) -> tuple[int | None, str | None] | None:
    """(exit status, killing signal) of the traced program, from the first line
    (its pid) and the end of a trace; None when the trace does not say. Reads
    no more than `tail` bytes of a trace that may hold millions of calls."""
    try:
        with open(path, "rb") as trace:
            first = parse_line(trace.readline().decode("utf-8", errors="replace").rstrip())
            trace.seek(0, 2)
            trace.seek(max(0, trace.tell() - tail))
            lines = trace.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    pid = first.pid if first is not None else None
    for line in reversed(lines):
        event = parse_line(line.rstrip())
        if event is not None and event.kind == EXITED and event.pid == pid:
            return event.status, event.signal
    return None


def requested(function: str, args: Sequence[int | None], inner: int | None) -> int | None:
    """The bytes an allocating call asked for (None when the trace does not say)."""

    def arg(index: int) -> int | None:
        return args[index] if index < len(args) else None

    if function in ("malloc", "_Znwm", "_Znam"):
        return arg(0)
    if function == "calloc":
        count, size = arg(0), arg(1)
        return count * size if count is not None and size is not None else None
    if function in ("aligned_alloc", "memalign", "realloc"):
        return arg(1)
    if function == "posix_memalign":
        return arg(2)
    return inner


@dataclass(frozen=True, slots=True)
class Block:
    address: int
    size: int
    pc: int | None
    function: str
    offset: int


@dataclass(frozen=True, slots=True)
class Accounts:
    calls: tuple[tuple[str, int], ...]
    allocated: int
    freed: int
    peak: int
    live: tuple[Block, ...]
    unknown_frees: int


def account(calls: Iterable[Call]) -> Accounts:
    """Replay the calls: which blocks live, bytes in and out, the peak of live bytes."""
    counts: Counter[str] = Counter()
    live: dict[int, Block] = {}
    allocated = freed = current = peak = unknown = 0

    def release(address: int | None) -> None:
        nonlocal freed, current, unknown
        if not address:
            return
        block = live.pop(address, None)
        if block is None:
            unknown += 1
            return
        freed += block.size
        current -= block.size

    for call in calls:
        counts[call.function] += 1
        if call.function in FREEING:
            release(call.args[0] if call.args else None)
            continue
        address, ok = call.result, bool(call.result)
        if call.function == "posix_memalign":
            address, ok = (call.args[0] if call.args else None), call.result == 0
        if call.function == "realloc":
            old = call.args[0] if call.args else None
            if ok or requested("realloc", call.args, None) == 0:
                release(old)
        if not ok or not address:
            continue
        size = requested(call.function, call.args, call.inner) or 0
        live[address] = Block(address, size, call.pc, call.function, call.offset)
        allocated += size
        current += size
        peak = max(peak, current)
    return Accounts(
        tuple(sorted(counts.items())), allocated, freed, peak, tuple(live.values()), unknown
    )


_LOAD = re.compile(r"^\s*\d+:\s+file=(?P<name>\S+) \[\d+\];\s+generating link map")
_EXTENT = re.compile(r"base: 0x(?P<base>[0-9a-f]+)\s+size: 0x(?P<size>[0-9a-f]+)")
_INIT = re.compile(r"calling init: (?P<path>/\S+)")


def read_load_map(text: str) -> tuple[Module, ...]:
    """The libraries in one LD_DEBUG=files report: path, base and size."""
    found: list[tuple[str, int, int]] = []
    paths: dict[str, str] = {}
    name: str | None = None
    for line in text.splitlines():
        load = _LOAD.match(line)
        if load:
            name = load.group("name")
            continue
        extent = _EXTENT.search(line)
        if extent and name is not None:
            found.append((name, int(extent.group("base"), 16), int(extent.group("size"), 16)))
            name = None
            continue
        init = _INIT.search(line)
        if init:
            paths[Path(init.group("path")).name] = init.group("path")
    return tuple(Module(paths.get(Path(n).name, n), base, base + size) for n, base, size in found)


def module_map(binary: Path, main_address: int | None, libraries: Sequence[Module]) -> ModuleMap:
    """The program (from main's address) and the libraries it loaded."""
    modules = list(libraries)
    value = symbols.symbol_value(str(binary), "main") if main_address is not None else None
    if main_address is not None and value is not None:
        base = 0 if symbols.is_fixed_address(str(binary)) else main_address - value
        above = [module.start for module in libraries if module.start > base]
        modules.insert(0, Module(str(binary), base, min(above, default=TOP)))
    return ModuleMap(tuple(modules))


def ledger(
    trace_path: Path, load_maps: Iterable[Path], binary: Path, shown: str, pid: int | None = None
) -> Ledger:
    """The ledger of one traced run: `load_maps` are the LD_DEBUG reports (the
    one of the traced program is picked by its pid), `shown` names the trace."""
    trace = read_trace(trace_path.read_bytes())
    books = account(trace.calls)
    first_pid = next((call.pid for call in trace.calls), pid)
    libraries = _libraries(load_maps, first_pid)
    modules = module_map(binary, trace.main_address, libraries)
    groups = group_blocks(books.live, modules, binary)
    notes = []
    if trace.main_address is None:
        notes.append("the trace has no __libc_start_main call: sites in the program unsymbolized")
    if trace.unparsed:
        notes.append(f"{trace.unparsed} line(s) of the trace were not ltrace's and were skipped")
    if books.unknown_frees:
        notes.append(f"{books.unknown_frees} free(s) of blocks allocated before tracing began")
    return Ledger(
        method=LTRACE,
        log=shown,
        calls=tuple(sorted((shown_name(name), count) for name, count in books.calls)),
        allocated=books.allocated,
        freed=books.freed,
        peak=books.peak,
        groups=groups,
        exit_code=trace.exit_status,
        signal=trace.killed_by,
        notes=tuple(notes),
    )


def _libraries(load_maps: Iterable[Path], pid: int | None) -> tuple[Module, ...]:
    for path in sorted(load_maps):
        if pid is None or path.suffix == f".{pid}":
            return read_load_map(path.read_text(encoding="utf-8", errors="replace"))
    return ()


def group_blocks(blocks: Sequence[Block], modules: ModuleMap, binary: Path) -> tuple[Group, ...]:
    """Unfreed blocks grouped by the function, file and line of their call site."""
    pcs = [block.pc for block in blocks if block.pc is not None]
    frames = symbols.frames_at(modules, pcs, back=1)
    grouped: dict[tuple[object, ...], list[Block]] = {}
    for block in blocks:
        site = frames.get(block.pc, ()) if block.pc is not None else ()
        top = site[0] if site else None
        key = (
            (top.function, top.file, top.line)
            if top is not None and top.function
            else (top.module, top.module_offset)
            if top is not None
            else (None,)
        )
        grouped.setdefault(key, []).append(block)
    out = []
    for members in grouped.values():
        first = min(members, key=lambda block: block.offset)
        site = frames.get(first.pc, ()) if first.pc is not None else ()
        allocator = shown_name(Counter(b.function for b in members).most_common(1)[0][0])
        own = bool(site) and symbols.same_file(site[0].module, binary)
        size = sum(block.size for block in members)
        out.append(Group(site, allocator, len(members), size, own, first.offset))
    return tuple(sorted(out, key=lambda group: (not group.own, -group.bytes, group.offset)))
