"""Which frames want a symbol: those printed as module+offset that a signature
would use. Apart from the Symbolizer, so a triage that symbolizes nothing can
tell an unsymbolized finding without loading it."""

from __future__ import annotations

from collections.abc import Sequence

from harness.model import Frame, Report
from harness.triage.signature import deciding_stack, is_ignored


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
    """True when a frame of the deciding stack is still only module+offset: the
    finding id then rests on offsets, which change with every build."""
    stack = deciding_stack(report)
    extra = tuple(ignore)
    return stack is not None and any(needs_symbol(frame, extra) for frame in stack.frames)
