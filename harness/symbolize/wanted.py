"""Which frames want a symbol: those printed as module+offset that a signature
would use. Apart from the Symbolizer, so a triage that symbolizes nothing can
tell an unsymbolized finding without loading it."""

from __future__ import annotations

from collections.abc import Sequence

from harness.model import Frame, Report
from harness.triage.signature import is_ignored, keyed_stacks


def needs_symbol(frame: Frame, ignore: tuple[str, ...] = ()) -> bool:
    """True for a frame with module+offset and no function that the signature
    would not drop (runtime, libc and loader modules are dropped unnamed)."""
    return (
        frame.function is None
        and bool(frame.module)
        and frame.module_offset is not None
        and not is_ignored(frame, ignore)
    )


def is_unsymbolized(report: Report, ignore: Sequence[str] = ()) -> bool:
    """True when a frame of a stack the id is keyed by (the deciding stack; both
    sides of a race) is still only module+offset: the finding id then rests on
    offsets, which change with every build."""
    extra = tuple(ignore)
    stacks = keyed_stacks(report)
    return any(needs_symbol(frame, extra) for stack in stacks for frame in stack.frames)
