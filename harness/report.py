"""Report files from the store: what `harness report` and `harness nightly` write.

    data = collect(store, root=Path("."), project="demo", commit=sha, select=stored_status)
    paths = write_reports(data, ReportFormat.all(), Path("reports"), "report")

`collect` turns stored findings (with their latest reports) into findings a report
view can show, each under the status `select` gives it; `write_reports` renders
the formats into files. The JSON file follows the triage contract (schema
`harness.triage/1`), with `first_seen` and `last_seen` added to each finding.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import vcs
from harness.errors import UsageError
from harness.model import Finding
from harness.render.json import SCHEMA
from harness.render.view import Problem, ReportView, build_view
from harness.store import Store, StoredFinding, utc_now
from harness.store.nightlies import StoredReport

# Reports listed per finding (the count covers them all): a finding seen in
# 3,000 logs needs its latest few in a report, not every one.
REPORT_LIMIT = 20

Select = Callable[[StoredFinding], str | None]


class ReportFormat(enum.Enum):
    MD = "md"
    HTML = "html"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"

    @property
    def extension(self) -> str:
        return "xml" if self is ReportFormat.JUNIT else self.value

    @classmethod
    def all(cls) -> tuple[ReportFormat, ...]:
        return tuple(cls)

    def render(self, data: ReportData) -> str:
        if self is ReportFormat.JSON:
            return json.dumps(document(data), indent=2, ensure_ascii=False) + "\n"
        return _RENDERERS[self](data.view())


@dataclass(frozen=True, slots=True)
class ReportData:
    """The findings of one report file, with what the store knows about each."""

    project: str | None
    commit: str | None
    root: str
    generated: str
    findings: tuple[Finding, ...]
    stored: dict[str, StoredFinding] = field(hash=False, compare=False)
    reports: dict[str, tuple[StoredReport, ...]] = field(hash=False, compare=False)
    summary: str | None = None
    problems: tuple[Problem, ...] = ()
    # fields the JSON document adds at its top level (the nightly's counts)
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def view(self) -> ReportView:
        return build_view(
            self.findings,
            commit=self.commit,
            project=self.project,
            root=self.root,
            first_seen={f.id: f.first_commit for f in self.stored.values()},
            generated=self.generated,
            counts={f.id: f.count for f in self.stored.values()},
            summary=self.summary,
            problems=self.problems,
        )


def stored_status(finding: StoredFinding) -> str | None:
    """Every finding, under the status the store shows."""
    return finding.status


def collect(
    store: Store,
    *,
    root: Path,
    project: str | None,
    commit: str | None,
    select: Select = stored_status,
    generated: str | None = None,
) -> ReportData:
    """The findings `select` keeps (it returns the status to show, or None to leave
    a finding out), each with its latest REPORT_LIMIT reports."""
    findings: list[Finding] = []
    stored: dict[str, StoredFinding] = {}
    reports: dict[str, tuple[StoredReport, ...]] = {}
    for item in store.history():
        status = select(item)
        if status is None:
            continue
        stored[item.id] = item
        reports[item.id] = store.finding_reports(item.id, REPORT_LIMIT)
        findings.append(_finding(item, reports[item.id], status))
    return ReportData(
        project=project,
        commit=commit,
        root=str(root),
        generated=generated or utc_now(),
        findings=tuple(findings),
        stored=stored,
        reports=reports,
    )


def _finding(item: StoredFinding, reports: Sequence[StoredReport], status: str) -> Finding:
    first = reports[0].report if reports else None
    return Finding(
        id=item.id,
        signature_version=item.signature_version,
        title=item.title,
        kind=item.kind,
        access=item.access,
        access_size=first.access_size if first else None,
        severity=item.severity,
        security=item.security,
        tools=item.tools,
        frames=item.frames,
        reports=tuple(r.report for r in reports),
        leak=first.details.get("leak") if first else None,
        status=status,
    )


def since(root: Path, rev: str) -> Select:
    """Findings first or last seen at `rev` or a later commit of the branch's history."""
    repo = vcs.require_repository(root)
    sha = vcs.resolve(repo, rev)
    history = vcs.head_history(repo)
    if sha not in history:
        raise UsageError(
            f"--since {rev}: commit {sha[:7]} is not in the history of HEAD; "
            "give a commit of the current branch"
        )
    recent = set(history[: history.index(sha) + 1])

    def select(finding: StoredFinding) -> str | None:
        seen = {finding.first_commit, finding.last_commit}
        return finding.status if seen & recent else None

    return select


def document(data: ReportData) -> dict[str, Any]:
    """The JSON document: the triage contract's shape, over stored findings."""
    findings = [_finding_json(data, f) for f in data.view().findings]
    logs = {r.report.source.log for found in data.reports.values() for r in found}
    return {
        "schema": SCHEMA,
        "commit": data.commit,
        "project": data.project,
        "generated": data.generated,
        **data.extra,
        "problems": [{"title": p.title, "detail": p.detail} for p in data.problems],
        "findings": findings,
        "unparsed": [],
        "stats": {
            "logs": len(logs),
            "reports": sum(item["count"] for item in findings),
            "findings": len(findings),
            "bytes": 0,
            "seconds": 0.0,
        },
    }


def _finding_json(data: ReportData, item: Any) -> dict[str, Any]:
    f: Finding = item.finding
    stored = data.stored[f.id]
    return {
        "id": f.id,
        "title": f.title,
        "tools": list(f.tools),
        "kind": f.kind,
        "access": f.access,
        "access_size": f.access_size,
        "severity": f.severity,
        "security": f.security,
        "frames": [
            {
                "function": s.function,
                "key": s.key,
                "file": s.file,
                "line": s.line,
                "module": s.module,
            }
            for s in f.frames
        ],
        "status": f.status,
        "count": item.count,
        "reports": [_report_json(r) for r in data.reports.get(f.id, ())],
        "leak": f.leak,
        "bug": stored.bug_key,
        "first_seen": stored.first_commit,
        "last_seen": stored.last_commit,
    }


def _report_json(stored: StoredReport) -> dict[str, Any]:
    report = stored.report
    source = report.source
    return {
        "log": source.log,
        "offset": source.offset,
        "pid": source.pid,
        "address": report.address,
        "truncated": report.truncated,
        "input": stored.input,
        "tool": report.tool,
        "commit": stored.commit,
    }


def write_reports(
    data: ReportData, formats: Sequence[ReportFormat], out_dir: Path, stem: str
) -> tuple[Path, ...]:
    """Write `stem.<ext>` into `out_dir` for each format; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt.extension}"
        partial = path.with_name(f".{path.name}.tmp")
        partial.write_text(fmt.render(data), encoding="utf-8")
        partial.replace(path)
        written.append(path)
    return tuple(written)


def _html(view: ReportView) -> str:
    from harness.render.html import render_html

    return render_html(view)


def _sarif(view: ReportView) -> str:
    from harness.render.sarif import render_sarif

    return render_sarif(view)


def _junit(view: ReportView) -> str:
    from harness.render.junit import render_junit

    return render_junit(view)


def _markdown(view: ReportView) -> str:
    from harness.render.report_md import render_markdown

    return render_markdown(view)


_RENDERERS: dict[ReportFormat, Callable[[ReportView], str]] = {
    ReportFormat.MD: _markdown,
    ReportFormat.HTML: _html,
    ReportFormat.SARIF: _sarif,
    ReportFormat.JUNIT: _junit,
}
