"""Absolute addresses of one finished process → module, offset, function, file, line.

A process's modules are a `ModuleMap`: where each file was loaded. The
methods learn it differently (ltrace: main's address and the dynamic
linker's LD_DEBUG=files report; jemalloc: the /proc/self/maps copy at the end
of its heap profile). A position-independent file is symbolized at
`address - load base`; a fixed-address executable at the address itself.

addr2line (binutils) names function, file and line, inlined callers
included (-i, innermost first); where it has no name (a stripped library), the
exported symbol whose body holds the address (`nm -D -S`) names it, if any.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import proc
from harness.errors import ToolError
from harness.model import Frame

INSTALL_BINUTILS = "install binutils (Debian/Ubuntu: apt-get install binutils)"
ELF_TYPE_EXEC = 2
_NUMBER = re.compile(r"[0-9a-fA-F]+")
TOP_NAME = "\uffff"
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_LOCATION = re.compile(r"^(?P<file>.*?):(?P<line>\d+|\?)(?: \(discriminator \d+\))?$")


@dataclass(frozen=True, slots=True)
class Module:
    path: str
    start: int  # load base: the address of the file's offset 0
    end: int


@dataclass(frozen=True, slots=True)
class ModuleMap:
    modules: tuple[Module, ...]

    def find(self, address: int) -> Module | None:
        for module in self.modules:
            if module.start <= address < module.end:
                return module
        return None


def offset_in(module: Module, address: int) -> int:
    """The address addr2line takes: relative to the load base, unless the file is
    a fixed-address executable (ET_EXEC), whose addresses are absolute."""
    return address if is_fixed_address(module.path) else address - module.start


@functools.lru_cache(maxsize=64)
def is_fixed_address(path: str) -> bool:
    try:
        with open(path, "rb") as elf:
            header = elf.read(18)
    except OSError:
        return False
    return len(header) == 18 and header[:4] == b"\x7fELF" and header[16] == ELF_TYPE_EXEC


def symbol_value(path: str, name: str) -> int | None:
    """The value of symbol `name` in the file's symbol table (nm), or None."""
    for value, symbol, _ in _symbols(path, dynamic=False):
        if symbol == name:
            return value
    return None


def frames_at(
    modules: ModuleMap, addresses: Sequence[int], back: int = 0
) -> dict[int, tuple[Frame, ...]]:
    """Each address's frames: the inlined chain addr2line gives, innermost first.
    `back` is subtracted before symbolizing (1 for return addresses, so the line
    is the call's, not the next statement's); the frames keep the address given."""
    by_module: dict[Module | None, list[int]] = {}
    for address in dict.fromkeys(addresses):
        by_module.setdefault(modules.find(address), []).append(address)
    out: dict[int, tuple[Frame, ...]] = {}
    for module, members in by_module.items():
        if module is None:
            out.update((address, (Frame(0, pc=address),)) for address in members)
            continue
        offsets = [offset_in(module, address) - back for address in members]
        named = addr2line(module.path, offsets)
        for address, offset in zip(members, offsets, strict=True):
            out[address] = _frames(module, address, offset + back, named.get(offset, ()))
    return out


def _frames(
    module: Module,
    address: int,
    offset: int,
    lines: Sequence[tuple[str | None, str | None, int | None]],
) -> tuple[Frame, ...]:
    if not lines or lines[0][0] is None:
        # A guess from the nearest export would name the wrong function inside a
        # stripped library: only a symbol whose body holds the address names it.
        name = exported_function(module.path, offset)
        lines = [(name, None, None)]
    return tuple(
        Frame(
            0,
            pc=address,
            function=function,
            file=file,
            line=line,
            module=module.path,
            module_offset=offset,
        )
        for function, file, line in lines
    )


def addr2line(
    path: str, offsets: Iterable[int]
) -> dict[int, list[tuple[str | None, str | None, int | None]]]:
    """offset → [(function, file, line), ...] innermost first, via one addr2line run."""
    wanted = list(offsets)
    if not wanted:
        return {}
    tool = proc.which("addr2line")
    if tool is None:
        raise ToolError(f"addr2line not found on PATH; {INSTALL_BINUTILS}")
    argv = [tool, "-a", "-f", "-C", "-i", "-e", path, *(f"{offset:#x}" for offset in wanted)]
    done = proc.run(argv, check=False, timeout=120)
    return parse_addr2line(done.stdout)


def parse_addr2line(text: str) -> dict[int, list[tuple[str | None, str | None, int | None]]]:
    """addr2line -a -f -i output: an address line, then function / file:line pairs."""
    out: dict[int, list[tuple[str | None, str | None, int | None]]] = {}
    current: list[tuple[str | None, str | None, int | None]] | None = None
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        if _HEX.match(line):
            current = out.setdefault(int(line, 16), [])
            index += 1
            continue
        place = lines[index + 1].strip() if index + 1 < len(lines) else "??:0"
        index += 2
        if current is None:
            continue
        function = None if line in ("??", "") else line
        match = _LOCATION.match(place)
        file = match.group("file") if match and match.group("file") != "??" else None
        number = match.group("line") if match else "?"
        current.append((function, file, int(number) if number.isdigit() and int(number) else None))
    return out


def exported_function(path: str, offset: int) -> str | None:
    """The dynamic symbol whose body holds `offset`, or None (a static function)."""
    table = _symbols(path, dynamic=True)
    index = bisect.bisect_right(table, (offset, TOP_NAME, 0)) - 1
    if index < 0:
        return None
    value, name, size = table[index]
    return name if value <= offset < value + size else None


@functools.lru_cache(maxsize=64)
def _symbols(path: str, dynamic: bool) -> list[tuple[int, str, int]]:
    """(value, name, size) of the file's defined functions, by value (nm -S)."""
    tool = proc.which("nm")
    if tool is None:
        raise ToolError(f"nm not found on PATH; {INSTALL_BINUTILS}")
    argv = [tool, "--defined-only", "-S", *(["-D"] if dynamic else []), path]
    done = proc.run(argv, check=False, timeout=120)
    table = []
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:  # no size column
            parts.insert(1, "0")
        if len(parts) == 4 and parts[2] in "TtWiu" and _NUMBER.fullmatch(parts[0] + parts[1]):
            table.append((int(parts[0], 16), parts[3], int(parts[1], 16)))
    return sorted(table)


def same_file(module: str | None, binary: Path) -> bool:
    """Is `module` (as a map or a log names it) the program's own binary?"""
    if module is None:
        return False
    try:
        return Path(module).resolve() == binary.resolve()
    except OSError:
        return Path(module).name == binary.name
