"""A standalone HTML report: one page, no external assets, viewable offline.

The findings table sorts when a header is clicked and filters on a text box;
below it, one <details> per finding holds its status, first-seen commit and every
stack of its representative report. All log-derived text goes through
`escape.html_text`; the inline script is a constant holding no data, and the page's
Content-Security-Policy allows that script (by hash) and nothing from the network.
"""

from __future__ import annotations

import base64
import hashlib

from harness import model
from harness.render.escape import html_text
from harness.render.view import SEVERITY_RANK, FindingView, ReportView, format_frame

COLUMNS = ("id", "severity", "kind", "access", "title", "count", "status", "first seen")

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#1d2228}
h1{font-size:1.4em;margin:0 0 .2em}.meta{color:#5c6670;margin:0 0 1em}
table{border-collapse:collapse;width:100%}th,td{padding:.35em .6em;text-align:left;
border-bottom:1px solid #e1e4e8;vertical-align:top}th{background:#f6f8fa;cursor:pointer;
user-select:none;white-space:nowrap}th[aria-sort=ascending]::after{content:" \\25b2"}
th[aria-sort=descending]::after{content:" \\25bc"}tr:hover td{background:#fafbfc}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
#filter{padding:.35em .6em;width:22em;margin:0 0 .8em;border:1px solid #c9d1d9;border-radius:4px}
.sev-high{color:#b31d28;font-weight:600}.sev-medium{color:#b08800}.sev-low{color:#5c6670}
.st-new,.st-regressed{font-weight:600;color:#b31d28}.st-fixed{color:#22863a}
details{border:1px solid #e1e4e8;border-radius:4px;margin:.6em 0;padding:.4em .8em}
summary{cursor:pointer;font-weight:600}dl{display:grid;grid-template-columns:max-content auto;
gap:.2em 1em;margin:.6em 0}dt{color:#5c6670}dd{margin:0}
.problem{border:1px solid #b31d28;border-radius:4px;padding:.2em .9em;margin:1em 0}
.problem h2{color:#b31d28;font-size:1.1em}
"""

SCRIPT = """
(function () {
  var table = document.getElementById("findings");
  var body = table.tBodies[0];
  var filter = document.getElementById("filter");
  filter.addEventListener("input", function () {
    var needle = filter.value.toLowerCase();
    Array.prototype.forEach.call(body.rows, function (row) {
      row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) < 0;
    });
  });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        other.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = th.dataset.type === "number";
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].dataset.sort, y = b.cells[column].dataset.sort;
        var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
"""

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{_SCRIPT_HASH}'; img-src data:"
)


def render_html(view: ReportView) -> str:
    """The whole HTML page for `view`."""
    title = f"harness report: {view.project}" if view.project else "harness report"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html_text(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html_text(title)}</h1>",
        _meta(view),
        *_summary(view),
        *_problems(view),
        '<input id="filter" type="search" placeholder="Filter findings" aria-label="Filter">',
        _table(view),
        "<h2>Findings</h2>",
        *(_details(item) for item in view.findings),
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _meta(view: ReportView) -> str:
    counts = ", ".join(f"{count} {status}" for status, count in sorted(view.counts().items()))
    commit = html_text(view.commit) if view.commit else "no commit"
    summary = f"{len(view.findings)} findings" + (f" ({html_text(counts)})" if counts else "")
    return (
        f'<p class="meta">Commit <code>{commit}</code> · generated {html_text(view.generated)}'
        f" · {summary}</p>"
    )


def _summary(view: ReportView) -> list[str]:
    return (
        [f'<p class="summary"><strong>{html_text(view.summary)}</strong></p>']
        if view.summary
        else []
    )


def _problems(view: ReportView) -> list[str]:
    """What went wrong (a build that failed), with the tool's own message."""
    return [
        f'<section class="problem"><h2>{html_text(problem.title)}</h2>'
        f"<pre>{html_text(problem.detail)}</pre></section>"
        for problem in view.problems
    ]


def _table(view: ReportView) -> str:
    numeric = {"severity", "count"}
    head = "".join(
        f'<th scope="col" data-type="{"number" if name in numeric else "text"}">{name}</th>'
        for name in COLUMNS
    )
    rows = "\n".join(_row(item) for item in view.findings)
    return f'<table id="findings"><thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody></table>'


def _row(item: FindingView) -> str:
    finding = item.finding
    # sorts by how severe: ascending puts low first, descending high first
    severe = len(SEVERITY_RANK) - SEVERITY_RANK.get(finding.severity, len(SEVERITY_RANK))
    cells = [
        _cell(
            finding.id,
            f'<a href="#f-{html_text(finding.id)}"><code>{html_text(finding.id)}</code></a>',
        ),
        _cell(str(severe), html_text(finding.severity), f"sev-{html_text(finding.severity)}"),
        _cell(finding.kind, html_text(finding.kind)),
        _cell(finding.access or "", html_text(finding.access or "")),
        _cell(finding.title, html_text(finding.title)),
        _cell(str(item.count), str(item.count)),
        _cell(item.status or "", html_text(item.status or "–"), f"st-{html_text(item.status)}"),
        _cell(item.first_seen or "", f"<code>{html_text((item.first_seen or '')[:12])}</code>"),
    ]
    return f'<tr data-id="{html_text(finding.id)}">{"".join(cells)}</tr>'


def _cell(sort_key: str, content: str, css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f'<td data-sort="{html_text(sort_key)}"{klass}>{content}</td>'


def _details(item: FindingView) -> str:
    finding = item.finding
    report = item.representative
    facts = [
        ("Status", html_text(item.status or "not tracked")),
        ("First seen", f"<code>{html_text(item.first_seen or 'unknown')}</code>"),
        ("Severity", html_text(finding.severity) + (" (security)" if finding.security else "")),
        ("Tools", html_text(", ".join(finding.tools))),
        ("Reports", str(item.count)),
    ]
    if item.location is not None:
        where = item.location.path + (f":{item.location.line}" if item.location.line else "")
        facts.append(("Location", f"<code>{html_text(where)}</code>"))
    if report is not None:
        source = report.source
        facts.append(("Log", f"<code>{html_text(f'{source.log}@{source.offset}')}</code>"))
    facts_html = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    stacks = "".join(_stack(stack) for stack in report.stacks) if report else ""
    headline = f"<pre>{html_text(report.headline)}</pre>" if report and report.headline else ""
    return (
        f'<details id="f-{html_text(finding.id)}"><summary><code>{html_text(finding.id)}</code> '
        f"{html_text(finding.title)}</summary><dl>{facts_html}</dl>{headline}{stacks}</details>"
    )


def _stack(stack: model.Stack) -> str:
    heading = stack.role + (f" (thread {stack.thread})" if stack.thread else "")
    frames = "\n".join(format_frame(frame) for frame in stack.frames)
    return f"<h4>{html_text(heading)}</h4><pre>{html_text(frames)}</pre>"
