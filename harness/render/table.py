"""The terminal table (tabulate): one row per finding, most severe first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from harness.model import Finding
from harness.pipeline import TriageResult

HEADERS = ("id", "severity", "kind", "access", "title", "count", "status")


@dataclass(frozen=True, slots=True)
class TableView:
    rows: tuple[tuple[str, ...], ...]
    summary: str
    unparsed: tuple[str, ...]
    notes: tuple[str, ...] = ()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def summary_line(result: TriageResult) -> str:
    s = result.stats
    line = (
        f"{_count(s.findings, 'finding')} from {_count(s.reports, 'report')}"
        f" in {_count(s.logs, 'log')} ({s.bytes} bytes)"
    )
    if result.unparsed:
        line += f"; {len(result.unparsed)} unparsed"
    if s.suppressed:
        line += f"; {_count(s.suppressed, 'report')} suppressed"
    return line


def title_of(result: TriageResult, finding: Finding) -> str:
    """The title, marked when the finding's id rests on module+offset frames;
    for a leak, what its reports leaked in all."""
    title = finding.title + (" (unsymbolized)" if finding.id in result.unsymbolized else "")
    leaked = leaked_text(finding)
    return f"{title} — {leaked}" if leaked else title


def leaked_text(finding: Finding) -> str:
    """`74 bytes in 2 objects`, `74 bytes` or `2 objects`; empty when no report says."""
    parts = []
    if finding.leak_bytes is not None:
        parts.append(_count(finding.leak_bytes, "byte"))
    if finding.leak_objects is not None:
        parts.append(_count(finding.leak_objects, "object"))
    return " in ".join(parts)


def build(result: TriageResult) -> TableView:
    rows = tuple(
        (f.id, f.severity, f.kind, f.access or "", title_of(result, f))
        + (str(f.count), f.status or "-")
        for f in result.findings
    )
    unparsed = tuple(f"unparsed: {u.log}: {u.reason}" for u in result.unparsed)
    notes = tuple(f"note: {note}" for note in result.symbolize_notes)
    return TableView(rows, summary_line(result), unparsed, notes)


def write(view: TableView, out: IO[str]) -> None:
    # imported here: the other formats use this module's helpers, not tabulate,
    # and importing it costs a short triage a noticeable share of its time
    from tabulate import tabulate

    if view.rows:
        out.write(tabulate(view.rows, headers=HEADERS, disable_numparse=True) + "\n")
    else:
        out.write("no findings\n")
    for line in (*view.notes, *view.unparsed):
        out.write(line + "\n")
    out.write(view.summary + "\n")
