"""Plain-text views of the store for `harness show` and `harness history`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from tabulate import tabulate

from harness.model import Frame, Stack
from harness.store import FindingDetail, StoredFinding


def short(commit: str | None, dirty: bool = False) -> str:
    if not commit:
        return "-"
    return commit[:12] + ("+dirty" if dirty else "")


def _frame(frame: Frame) -> str:
    where = frame.file or ""
    if where and frame.line:
        where += f":{frame.line}"
    if frame.module and not where:
        where = f"({frame.module}+{frame.module_offset or 0:#x})"
    return f"    #{frame.index} {frame.function or '??'} {where}".rstrip()


def _stack(stack: Stack, headline: str | None = None) -> list[str]:
    """The stack's own header line, unless it is the report's headline, shown
    just above (a leak block's "Direct leak of N byte(s) ... allocated from:")."""
    head = stack.header or f"{stack.role} stack"
    lines = [f"  {head}"] if head != headline else []
    return lines + [_frame(frame) for frame in stack.frames]


def show_lines(detail: FindingDetail) -> list[str]:
    """Title, kind, severity, every stack of one report, every place, the history."""
    f = detail.finding
    lines = [
        f"{f.id}  {f.title}",
        f"kind: {f.kind}" + (f" {f.access}" if f.access else ""),
        f"severity: {f.severity}" + (" (security)" if f.security else ""),
        f"tools: {', '.join(f.tools)}",
        f"status: {f.status}",
        f"count: {f.count}",
        f"bug: {f.bug_key}" + (f" (with {', '.join(detail.same_bug)})" if detail.same_bug else ""),
        f"signature: v{f.signature_version} " + " ‹ ".join(frame.key for frame in f.frames),
        "",
    ]
    if detail.representative is not None:
        rep = detail.representative
        lines.append(f"report ({rep.tool}) at {rep.source.log}:{rep.source.offset}")
        if rep.headline:
            lines.append(f"  {rep.headline}")
        for stack in rep.stacks:
            lines += _stack(stack, rep.headline)
        lines.append("")
    lines.append("seen in:")
    for p in detail.places:
        place = f"  {p.log} @{p.offset}  commit {short(p.commit, p.dirty)}"
        lines.append(place + (f"  input {p.input}" if p.input else ""))
    lines += ["", "history:"]
    for e in detail.events:
        change = f"{e.old_status} → {e.new_status}" if e.old_status else e.new_status
        note = f"  ({e.note})" if e.note else ""
        lines.append(f"  {e.time}  commit {short(e.commit)}  {change}{note}")
    return lines


def _seen(commit: str | None, time: str) -> str:
    return f"{short(commit)} {time[:10]}"


def history_rows(findings: Sequence[StoredFinding]) -> list[tuple[str, ...]]:
    return [
        (f.id, f.severity, f.status, str(f.count))
        + (_seen(f.first_commit, f.first_time), _seen(f.last_commit, f.last_time), f.title)
        for f in findings
    ]


HISTORY_HEADERS = ("id", "severity", "status", "count", "first seen", "last seen", "title")


def write_lines(lines: Sequence[str], out: IO[str]) -> None:
    out.write("\n".join(lines) + "\n")


def write_history(rows: Sequence[tuple[str, ...]], out: IO[str]) -> None:
    if not rows:
        out.write("no findings stored yet\n")
        return
    out.write(tabulate(rows, headers=HISTORY_HEADERS, disable_numparse=True) + "\n")
