"""JSON output, schema `harness.triage/1` (contract: fields may be added,
never removed or renamed)."""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable
from operator import itemgetter
from typing import IO, Any

from harness.model import Finding, Report
from harness.pipeline import TriageResult

SCHEMA = "harness.triage/1"
_PLACE = itemgetter("log", "offset", "tool")


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
        # what kept frames unsymbolized; reports left out by suppression rules
        "symbolize_notes": list(result.symbolize_notes),
        "suppressed": {"reports": result.stats.suppressed, "rules": list(result.suppressed)},
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
        "count": finding.count,
        "reports": _reports(result, finding),
        "leak": finding.leak,
        "bug": result.bugs.get(finding.id),
        "claimed_fixed": result.claims.get(finding.id),
        "unsymbolized": finding.id in result.unsymbolized,
    }


def _reports(result: TriageResult, finding: Finding) -> list[dict[str, Any]]:
    """Every report in report order: the first, then the others parsed now and
    the stored ones (each already in order) merged."""
    parsed = [_report(r, result.input_of) for r in finding.reports]
    if not finding.stored:
        return parsed
    # spelled out: the quickest way to thousands of small dicts
    stored = [
        {
            "log": log,
            "offset": offset,
            "pid": pid,
            "address": address,
            "truncated": truncated,
            "input": given,
            "tool": tool,
        }
        for log, offset, pid, address, truncated, given, tool in finding.stored
    ]
    if len(parsed) == 1:
        return parsed + stored
    return [parsed[0], *heapq.merge(parsed[1:], stored, key=_PLACE)]


def _report(report: Report, input_of: Callable[[Report], str | None]) -> dict[str, Any]:
    source = report.source
    return {
        "log": source.log,
        "offset": source.offset,
        "pid": source.pid,
        "address": report.address,
        "truncated": report.truncated,
        "input": input_of(report),
        "tool": report.tool,
    }


def write(document: dict[str, Any], out: IO[str]) -> None:
    """The document with one finding (and one unparsed entry) per line.

    Laid out by hand around json.dumps of each item: `indent` turns off the
    C encoder, which a triage of thousands of reports then waits on.
    """
    out.write("{\n")
    last = len(document) - 1
    for number, (key, value) in enumerate(document.items()):
        out.write(f"  {_dumps(key)}: ")
        if isinstance(value, list) and value:
            out.write("[\n    ")
            out.write(",\n    ".join(map(_dumps, value)))
            out.write("\n  ]")
        else:
            out.write(_dumps(value))
        out.write(",\n" if number < last else "\n")
    out.write("}\n")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
