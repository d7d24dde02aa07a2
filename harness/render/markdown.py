"""Markdown for pull-request comments: a summary table, then each finding's
top frames. Text that comes from logs is escaped."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO

from harness.model import Finding
from harness.pipeline import TriageResult
from harness.render.escape import clean
from harness.render.table import summary_line, title_of

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|~])")


def escape(text: str) -> str:
    """Neutralize Markdown and inline HTML (and drop control characters) in log text."""
    return _SPECIAL.sub(r"\\\1", clean(text).replace("\n", " "))


@dataclass(frozen=True, slots=True)
class MarkdownView:
    lines: tuple[str, ...]


def build(result: TriageResult) -> MarkdownView:
    lines = ["## harness triage", "", summary_line(result), ""]
    if result.findings:
        lines += ["| id | severity | kind | title | count | status |", "|---|---|---|---|---|---|"]
        lines += [_row(f, title_of(result, f)) for f in result.findings]
        lines.append("")
    if result.symbolize_notes:
        lines += [f"> note: {escape(note)}" for note in result.symbolize_notes]
        lines.append("")
    for finding in result.findings:
        lines += _section(finding, title_of(result, finding))
    if result.unparsed:
        lines += ["### Unparsed", ""]
        lines += [f"- {escape(u.log)}: {escape(u.reason)}" for u in result.unparsed]
        lines.append("")
    return MarkdownView(tuple(lines))


def _row(f: Finding, title: str) -> str:
    cells = [f"`{f.id}`", f.severity, escape(f.kind), escape(title), str(f.count)]
    return "| " + " | ".join(cells + [f.status or "-"]) + " |"


def _section(f: Finding, title: str) -> list[str]:
    security = ", security" if f.security else ""
    lines = [f"### `{f.id}` {escape(title)}", ""]
    times = "once" if f.count == 1 else f"{f.count} times"
    lines.append(f"{f.severity}{security}; seen {times} by {', '.join(f.tools)}")
    lines.append("")
    for frame in f.frames:
        where = f" ({escape(frame.file)}:{frame.line})" if frame.file and frame.line else ""
        lines.append(f"1. {escape(frame.function or frame.key)}{where}")
    lines.append("")
    return lines


def write(view: MarkdownView, out: IO[str]) -> None:
    out.write("\n".join(view.lines) + "\n")
