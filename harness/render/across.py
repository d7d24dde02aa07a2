"""Views of findings across commits: `diff` (table, Markdown, JSON), the
timeline of `history FINDING`, the steps of `bisect`, and what `show` adds
(muting, claims, reproducers, bisections)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from enum import Enum
from typing import IO, Any

from tabulate import tabulate

from harness.diff import DiffView
from harness.store import FindingDetail
from harness.store.tracking import Bisection, Tracking
from harness.vcs import CommitInfo

# 2: the commits moved to old_commit and new_commit; in 1 the list of new
# findings took the place of the new commit under "new"
DIFF_SCHEMA = "harness.diff/2"


def _commit_line(info: CommitInfo) -> str:
    parts = [info.sha7, info.date[:10], info.author, info.subject]
    return "  ".join(part for part in parts if part)


# -- diff -------------------------------------------------------------------


def diff_document(view: DiffView) -> dict[str, Any]:
    def commit(info: CommitInfo) -> dict[str, str]:
        return {"sha": info.sha, "date": info.date, "author": info.author, "subject": info.subject}

    return {
        "schema": DIFF_SCHEMA,
        "old_commit": commit(view.old),
        "new_commit": commit(view.new),
        **{
            change.name.lower(): [
                {"id": f.id, "title": f.title, "severity": f.severity, "status": f.status}
                for f in found
            ]
            for change, found in view.sections
        },
    }


def _diff_table(view: DiffView, out: IO[str]) -> None:
    out.write(f"old: {_commit_line(view.old)}\nnew: {_commit_line(view.new)}\n\n")
    rows = [
        (change.value, f.id, f.severity, f.title) for change, found in view.sections for f in found
    ]
    if not rows:
        out.write("no finding at either commit\n")
        return
    out.write(tabulate(rows, headers=("change", "id", "severity", "title")) + "\n")


def _diff_markdown(view: DiffView, out: IO[str]) -> None:
    out.write(f"## Findings from `{view.old.sha7}` to `{view.new.sha7}`\n\n")
    counts = ", ".join(f"{len(found)} {change.value}" for change, found in view.sections)
    out.write(counts + "\n")
    for change, found in view.sections:
        if found:
            out.write(f"\n### {change.value.capitalize()}\n\n")
            for f in found:
                title = f.title.replace("|", "\\|").replace("`", "'")
                out.write(f"- `{f.id}` **{f.severity}** {title}\n")


def _diff_json(view: DiffView, out: IO[str]) -> None:
    json.dump(diff_document(view), out, indent=2, ensure_ascii=False)
    out.write("\n")


class DiffFormat(Enum):
    TABLE = "table"
    MD = "md"
    JSON = "json"

    def write(self, view: DiffView, out: IO[str]) -> None:
        _DIFF_WRITERS[self](view, out)


_DIFF_WRITERS: dict[DiffFormat, Callable[[DiffView, IO[str]], None]] = {
    DiffFormat.TABLE: _diff_table,
    DiffFormat.MD: _diff_markdown,
    DiffFormat.JSON: _diff_json,
}


# -- history FINDING, show, bisect ------------------------------------------


def timeline_rows(
    detail: FindingDetail, describe: Callable[[str], CommitInfo]
) -> list[tuple[str, str, str, str]]:
    """(sha7, commit date, subject, status change) per event, oldest first."""
    rows = []
    for event in detail.events:
        info = describe(event.commit) if event.commit else None
        change = (
            f"{event.old_status} → {event.new_status}" if event.old_status else event.new_status
        )
        if event.note:
            change += f" ({event.note})"
        date = info.date[:10] if info and info.date else event.time[:10]
        rows.append((info.sha7 if info else "-", date, info.subject if info else "", change))
    return rows


def timeline_lines(
    detail: FindingDetail, tracked: Tracking, describe: Callable[[str], CommitInfo]
) -> list[str]:
    f = detail.finding
    lines = [f"{f.id}  {f.title}", f"status: {f.status}", ""]
    table = tabulate(
        timeline_rows(detail, describe), headers=("commit", "date", "subject", "status")
    )
    return lines + table.splitlines() + [""] + tracking_lines(tracked, describe)


def tracking_lines(tracked: Tracking, describe: Callable[[str], CommitInfo]) -> list[str]:
    """What `show` and `history FINDING` print below the finding."""
    lines: list[str] = []
    if tracked.muted:
        lines.append(f"muted: {tracked.mute_reason}")
    if tracked.fixed_commit:
        lines.append(f"fixed in: {_commit_line(describe(tracked.fixed_commit))}")
    for claim in tracked.claims:
        still = " (still reproduces)" if claim == tracked.claimed_fixed else ""
        lines.append(f"claimed fixed in: {_commit_line(describe(claim))}{still}")
    for rep in tracked.reproducers:
        what = rep.input or "(no input)"
        lines.append(f"reproducer: {rep.target} [{rep.profile}] {what} sha256:{rep.sha256[:12]}")
    if tracked.bisections:  # the latest
        lines.append(bisection_headline(tracked.bisections[-1], describe))
    return lines


def bisection_headline(result: Bisection, describe: Callable[[str], CommitInfo]) -> str:
    head = f"first bad commit (bisect {result.time[:10]}):"
    if result.first_bad is not None:
        return f"{head} {_commit_line(describe(result.first_bad))}"
    shas = ", ".join(sha[:7] for sha in result.candidates)
    return f"{head} one of {shas} (the others did not build)"


def bisect_lines(result: Bisection, describe: Callable[[str], CommitInfo]) -> list[str]:
    lines = [f"good {result.good[:7]}, bad {result.bad[:7]}"]
    lines += [f"  {sha[:7]}  {verdict:4}  {detail}" for sha, verdict, detail in result.steps]
    if result.first_bad is None:
        lines.append("the first bad commit is one of (the others did not build):")
        lines += [f"  {_commit_line(describe(sha))}" for sha in result.candidates]
        return lines
    info = describe(result.first_bad)
    lines += [
        f"first bad commit: {info.sha}",
        f"author: {info.author}",
        f"date: {info.date}",
        f"    {info.subject}",
    ]
    return lines


def write_lines(lines: Sequence[str], out: IO[str]) -> None:
    out.write("\n".join(lines) + "\n")
