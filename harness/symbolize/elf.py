"""The GNU build-id of an ELF file, read with nothing but the struct module.

The build-id is the linker's hash of a binary's contents (`.note.gnu.build-id`).
Newer sanitizer runtimes print it beside each module (`(BuildId: ab12...)`), so
a log can be matched to the exact binary that wrote it before its offsets are
trusted. Reading it needs the section headers (or, in binaries stripped of
them, the program headers) and the notes they point at: a few hundred bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_MAGIC = b"\x7fELF"
_SHT_NOTE = 7
_PT_NOTE = 4
_NT_GNU_BUILD_ID = 3
# A note section larger than this is not a build-id note worth reading.
_MAX_NOTE_BYTES = 1 << 16


def build_id(path: str | Path) -> str | None:
    """The build-id in lower-case hex, or None when the file is not an ELF
    file, cannot be read, or carries no build-id note."""
    try:
        with open(path, "rb") as handle:
            return _read_build_id(handle)
    except OSError:
        # An unreadable binary cannot be matched: the caller treats it as absent.
        return None


def _read_build_id(handle: BinaryIO) -> str | None:
    ident = handle.read(16)
    if len(ident) < 16 or ident[:4] != _MAGIC or ident[4] not in (1, 2):
        return None
    wide = ident[4] == 2
    order = "<" if ident[5] == 1 else ">"
    header = handle.read(48 if wide else 36)
    layout = "HHIQQQIHHHHHH" if wide else "HHIIIIIHHHHHH"
    if len(header) < struct.calcsize(order + layout):
        return None
    fields = struct.unpack_from(order + layout, header)
    phoff, shoff = fields[4], fields[5]
    phentsize, phnum, shentsize, shnum = fields[8], fields[9], fields[10], fields[11]
    regions = list(_note_sections(handle, order, wide, shoff, shentsize, shnum))
    regions += list(_note_segments(handle, order, wide, phoff, phentsize, phnum))
    for offset, size in regions:
        found = _build_id_in(handle, order, offset, size)
        if found:
            return found
    return None


def _note_sections(
    handle: BinaryIO, order: str, wide: bool, offset: int, entsize: int, count: int
) -> Iterator[tuple[int, int]]:
    layout = order + ("IIQQQQ" if wide else "IIIIII")
    for index in range(count if offset else 0):
        handle.seek(offset + index * entsize)
        raw = handle.read(struct.calcsize(layout))
        if len(raw) < struct.calcsize(layout):
            return
        _, kind, _, _, file_offset, size = struct.unpack(layout, raw)
        if kind == _SHT_NOTE:
            yield file_offset, size


def _note_segments(
    handle: BinaryIO, order: str, wide: bool, offset: int, entsize: int, count: int
) -> Iterator[tuple[int, int]]:
    # 64-bit: type, flags, offset, vaddr, paddr, filesz; 32-bit: type, offset, vaddr, paddr, filesz
    layout = order + ("IIQQQQ" if wide else "IIIII")
    for index in range(count if offset else 0):
        handle.seek(offset + index * entsize)
        raw = handle.read(struct.calcsize(layout))
        if len(raw) < struct.calcsize(layout):
            return
        values = struct.unpack(layout, raw)
        kind, file_offset, size = (
            (values[0], values[2], values[5]) if wide else (values[0], values[1], values[4])
        )
        if kind == _PT_NOTE:
            yield file_offset, size


def _build_id_in(handle: BinaryIO, order: str, offset: int, size: int) -> str | None:
    if size <= 0 or size > _MAX_NOTE_BYTES:
        return None
    handle.seek(offset)
    data = handle.read(size)
    position = 0
    while position + 12 <= len(data):
        namesz, descsz, kind = struct.unpack_from(order + "III", data, position)
        name_start = position + 12
        desc_start = name_start + _aligned(namesz)
        name = data[name_start : name_start + namesz]
        if kind == _NT_GNU_BUILD_ID and name == b"GNU\x00":
            desc = data[desc_start : desc_start + descsz]
            return desc.hex() if len(desc) == descsz and desc else None
        position = desc_start + _aligned(descsz)
    return None


def _aligned(size: int) -> int:
    return (size + 3) & ~3
