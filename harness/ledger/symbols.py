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


def called_function(path: str, return_offset: int) -> str | None:
    """The function that the call ending at `return_offset` (a return address,
    as an offset like Frame.module_offset) calls, by the name of its PLT entry
    (`call realloc@plt`) or GOT slot (`call *realloc@GOTPCREL(%rip)`, with
    -fno-plt); None when no such call ends there. x86-64 ELF only."""
    code = _bytes_at(path, return_offset - 6, 6)
    if code is None:
        return None
    if code[1] == _CALL_REL32:
        target = return_offset + int.from_bytes(code[2:], "little", signed=True)
        return _plt_names(path).get(target)
    if code[:2] == _CALL_RIP:
        slot = return_offset + int.from_bytes(code[2:], "little", signed=True)
        return _got_names(path).get(slot)
    return None


_CALL_REL32 = 0xE8
_CALL_RIP = b"\xff\x15"
_PT_LOAD = 1
_PLT_ENTRY = re.compile(r"^([0-9a-f]+) <([^@>+]+)@plt>:$")
_RELOCATION = re.compile(r"^([0-9a-f]+)\s+R_X86_64_\w+\s+([^@\s+]+)")


def _bytes_at(path: str, address: int, count: int) -> bytes | None:
    """`count` bytes of the file's loaded image at `address`, found through
    its program headers; None outside them or for anything but ELF64 LE."""
    segments = _segments(path)
    for vaddr, offset, size in segments:
        if vaddr <= address and address + count <= vaddr + size:
            try:
                with open(path, "rb") as elf:
                    elf.seek(offset + address - vaddr)
                    data = elf.read(count)
            except OSError:
                return None
            return data if len(data) == count else None
    return None


@functools.lru_cache(maxsize=64)
def _segments(path: str) -> tuple[tuple[int, int, int], ...]:
    """(vaddr, file offset, file size) of each PT_LOAD segment."""
    try:
        with open(path, "rb") as elf:
            header = elf.read(64)
            if len(header) < 64 or header[:4] != b"\x7fELF" or header[4:6] != b"\x02\x01":
                return ()
            phoff = int.from_bytes(header[0x20:0x28], "little")
            size = int.from_bytes(header[0x36:0x38], "little")
            count = int.from_bytes(header[0x38:0x3A], "little")
            elf.seek(phoff)
            table = elf.read(size * count)
    except OSError:
        return ()
    segments = []
    for index in range(len(table) // size if size else 0):
        entry = table[index * size : (index + 1) * size]
        if int.from_bytes(entry[0:4], "little") != _PT_LOAD:
            continue
        offset, vaddr = (int.from_bytes(entry[at : at + 8], "little") for at in (8, 16))
        filesz = int.from_bytes(entry[32:40], "little")
        segments.append((vaddr, offset, filesz))
    return tuple(segments)


@functools.lru_cache(maxsize=64)
def _plt_names(path: str) -> dict[int, str]:
    """PLT entry address → the function it calls (objdump names them `f@plt`)."""
    text = _objdump(path, "-d", "-j", ".plt", "-j", ".plt.sec")
    return {int(m[1], 16): m[2] for m in map(_PLT_ENTRY.match, text.splitlines()) if m}


@functools.lru_cache(maxsize=64)
def _got_names(path: str) -> dict[int, str]:
    """GOT slot address → the symbol its dynamic relocation binds there."""
    text = _objdump(path, "-R")
    return {int(m[1], 16): m[2] for m in map(_RELOCATION.match, text.splitlines()) if m}


def _objdump(path: str, *options: str) -> str:
    tool = proc.which("objdump")
    if tool is None:
        raise ToolError(f"objdump not found on PATH; {INSTALL_BINUTILS}")
    return proc.run([tool, *options, path], check=False, timeout=120).stdout


def same_file(module: str | None, binary: Path) -> bool:
    """Is `module` (as a map or a log names it) the program's own binary?"""
    if module is None:
        return False
    try:
        return Path(module).resolve() == binary.resolve()
    except OSError:
        return Path(module).name == binary.name
