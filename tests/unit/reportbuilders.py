"""Hand-built Reports for tests of the pure triage steps (no parser needed)."""

from __future__ import annotations

from typing import Any

from harness.model import Frame, Report, Source, Stack

Spec = str | tuple[str | None, str | None] | Frame


def frame(index: int, spec: Spec) -> Frame:
    """`"func"`, `(func, module)` or a ready Frame."""
    if isinstance(spec, Frame):
        return spec
    if isinstance(spec, tuple):
        function, module = spec
        return Frame(index=index, function=function, module=module, module_offset=0x1000 + index)
    return Frame(index=index, pc=0x5000 + index, function=spec, file="src/x.c", line=10 + index)


def stack(role: str, *specs: Spec) -> Stack:
    return Stack(role=role, frames=tuple(frame(i, s) for i, s in enumerate(specs)))


def report(
    kind: str = "heap-buffer-overflow",
    access: str | None = "WRITE",
    crash: tuple[Spec, ...] = ("parse_header", "read_file", "main"),
    alloc: tuple[Spec, ...] | None = None,
    free: tuple[Spec, ...] | None = None,
    previous: tuple[Spec, ...] | None = None,
    tool: str = "asan",
    log: str = "a.log",
    offset: int = 0,
    leak: str | None = None,
    **extra: Any,
) -> Report:
    stacks = []
    if crash:
        stacks.append(stack("crash", *crash))
    if previous is not None:
        stacks.append(stack("previous", *previous))
    if free is not None:
        stacks.append(stack("free", *free))
    if alloc is not None:
        stacks.append(stack("alloc", *alloc))
    details: dict[str, Any] = {"leak": leak} if leak else {}
    return Report(
        tool=tool,
        kind=kind,
        source=Source(log=log, offset=offset, length=100, pid=42),
        headline=f"ERROR: AddressSanitizer: {kind}",
        access=access,
        access_size=1 if access else None,
        address="0x602000000011",
        stacks=tuple(stacks),
        details=details,
        **extra,
    )


def leak_report(
    direct: str = "direct", alloc: tuple[Spec, ...] = ("malloc", "make_node", "main"), **kw: Any
) -> Report:
    return report(kind="leak", access=None, crash=(), alloc=alloc, tool="lsan", leak=direct, **kw)


def race_report(
    first: tuple[Spec, ...],
    second: tuple[Spec, ...] | None,
    access: str = "WRITE",
    **kw: Any,
) -> Report:
    """A ThreadSanitizer data race: `first` the access printed first, `second`
    the previous one (None: its stack was not restored)."""
    return report(kind="data-race", access=access, crash=first, previous=second, tool="tsan", **kw)
