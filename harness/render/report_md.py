"""Markdown of a report view (what `harness report` and `harness nightly` write):
the summary, what went wrong, a table of the findings, then each one's top frames.
Text that comes from logs is escaped."""

from __future__ import annotations

from harness.render.escape import clean
from harness.render.markdown import escape
from harness.render.view import FindingView, ReportView, deciding_stack, format_frame

TOP_FRAMES = 5


def render_markdown(view: ReportView) -> str:
    """The whole Markdown document for `view`."""
    title = f"harness report: {escape(view.project)}" if view.project else "harness report"
    commit = f"`{view.commit[:12]}`" if view.commit else "no commit"
    lines = [f"## {title}", "", f"Commit {commit}, generated {escape(view.generated)}", ""]
    if view.summary:
        lines += [f"**{escape(view.summary)}**", ""]
    for problem in view.problems:
        lines += [f"### {escape(problem.title)}", "", "```"]
        lines += [_fenced(line) for line in problem.detail.splitlines()]
        lines += ["```", ""]
    if not view.findings:
        lines += ["No findings.", ""]
        return "\n".join(lines) + "\n"
    lines += [
        "| id | severity | kind | title | count | status | first seen |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [_row(item) for item in view.findings]
    lines.append("")
    for item in view.findings:
        lines += _section(item)
    return "\n".join(lines) + "\n"


def _row(item: FindingView) -> str:
    f = item.finding
    first = f"`{item.first_seen[:7]}`" if item.first_seen else "-"
    cells = [f"`{f.id}`", f.severity, escape(f.kind), escape(f.title), str(item.count)]
    return "| " + " | ".join([*cells, item.status or "-", first]) + " |"


def _section(item: FindingView) -> list[str]:
    f = item.finding
    security = ", security" if f.security else ""
    lines = [f"### `{f.id}` {escape(f.title)}", ""]
    lines.append(
        f"{f.severity}{security}; status {item.status or '-'}; "
        f"{item.count} report(s) from {escape(', '.join(f.tools))}"
    )
    lines.append("")
    report = item.representative
    stack = deciding_stack(report) if report else None
    if stack is not None and stack.frames:
        lines += ["```"]
        lines += [_fenced(format_frame(frame)) for frame in stack.frames[:TOP_FRAMES]]
        lines += ["```", ""]
    return lines


def _fenced(text: str) -> str:
    """A line safe inside a ``` block: a fence in log text would end the block."""
    return clean(text).replace("```", "'''")
