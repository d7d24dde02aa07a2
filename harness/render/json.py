"""JSON output, schema `harness.triage/1` (contract: fields may be added,
never removed or renamed)."""

from __future__ import annotations

import json
from typing import IO, Any

from harness.model import Finding, Report
from harness.pipeline import TriageResult

SCHEMA = "harness.triage/1"


def build(result: TriageResult) -> dict[str, Any]:
    """The document, as plain data."""
    return {
        "schema": SCHEMA,
        "commit": result.commit.sha,
        "findings": [_finding(result, f) for f in result.findings],
        "unparsed": [{"log": u.log, "reason": u.reason} for u in result.unparsed],
        "stats": {
            "logs": result.stats.logs,
            "reports": result.stats.reports,
            "findings": result.stats.findings,
            "bytes": result.stats.bytes,
            "seconds": result.stats.seconds,
        },
    }


def _finding(result: TriageResult, finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "title": finding.title,
        "tools": list(finding.tools),
        "kind": finding.kind,
        "access": finding.access,
        "access_size": finding.access_size,
        "severity": finding.severity,
        "security": finding.security,
        "frames": [
            {
                "function": f.function,
                "key": f.key,
                "file": f.file,
                "line": f.line,
                "module": f.module,
            }
            for f in finding.frames
        ],
        "status": finding.status,
        "count": len(finding.reports),
        "reports": [_report(result, r) for r in finding.reports],
        "leak": finding.leak,
        "bug": result.bugs.get(finding.id),
    }


def _report(result: TriageResult, report: Report) -> dict[str, Any]:
    return {
        "log": report.source.log,
        "offset": report.source.offset,
        "pid": report.source.pid,
        "address": report.address,
        "truncated": report.truncated,
        "input": result.input_of(report),
        "tool": report.tool,
    }


def write(document: dict[str, Any], out: IO[str]) -> None:
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")
