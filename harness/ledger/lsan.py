"""The LeakSanitizer ledger: the leak reports of one `--leaks` job as unfreed groups.

LSan reports only blocks no pointer reaches at exit, each leak block with its
allocation stack, bytes and objects, direct or indirect. It counts no calls
and knows no totals: those figures are None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from harness.ledger import symbols
from harness.ledger.model import LSAN, Group, Ledger, allocator_name
from harness.model import Frame, Report

# Frames of the sanitizer runtime above the allocating code.
_RUNTIME = re.compile(r"^_*(?:lsan|asan|sanitizer)", re.IGNORECASE)
_RUNTIME_MODULE = re.compile(r"lib(?:l|a)san\.so|libclang_rt\.")


def ledger(reports: Sequence[Report], binary: Path, shown: str) -> Ledger:
    """The groups of the leak reports (other reports are left out)."""
    groups = tuple(
        sorted(
            (_group(report, binary) for report in reports if report.kind == "leak"),
            key=lambda group: (not group.own, -group.bytes, group.offset),
        )
    )
    return Ledger(LSAN, shown, (), None, None, None, groups)


def site_frames(frames: Sequence[Frame]) -> tuple[str, tuple[Frame, ...]]:
    """(the allocator called, the frames from the allocating code on)."""
    index = 0
    allocator = "malloc"
    while index < len(frames) and _is_allocator(frames[index]):
        allocator = allocator_name(frames[index].function) or allocator
        index += 1
    return allocator, tuple(frames[index:]) or tuple(frames[-1:])


def _is_allocator(frame: Frame) -> bool:
    function = frame.function or ""
    module = Path(frame.module or "").name
    return bool(
        _RUNTIME.match(function) or _RUNTIME_MODULE.search(module) or allocator_name(function)
    )


def _group(report: Report, binary: Path) -> Group:
    stack = report.stack("alloc") or report.stack("crash")
    allocator, frames = site_frames(stack.frames if stack else ())
    top = frames[0] if frames else None
    own = top is not None and _in_program(top, binary)
    details = report.details
    return Group(
        frames=frames,
        allocator=allocator,
        count=int(details.get("objects") or 1),
        bytes=int(details.get("bytes") or 0),
        own=own,
        offset=report.source.offset,
        leak=str(details.get("leak") or "direct"),
    )


def _in_program(frame: Frame, binary: Path) -> bool:
    """LSan names the module only for frames it could not place in a source file."""
    if frame.module is not None:
        return symbols.same_file(frame.module, binary)
    return frame.file is not None and not frame.file.startswith(("/usr/", "./"))
