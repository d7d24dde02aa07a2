"""JSON output, schema `harness.triage/1` (contract: fields may be added,
never removed or renamed)."""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring
from operator import attrgetter
from typing import IO, Any

from harness.model import Finding, Report, ReportRef
from harness.pipeline import TriageResult

SCHEMA = "harness.triage/1"
_PLACE = attrgetter("log", "offset", "tool")  # the order of a finding's reports
# One encoder for every item. The C encoder, as with json.dumps; plain data
# holds no cycles, so the check for them (a dict entry per container) is off.
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def build(result: TriageResult) -> dict[str, Any]:
    """The document, as plain data. Each finding's reports are ReportRefs:
    their fields are a report's in the output, in order (see `write`)."""
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
        "leak": finding.leak,
        "leak_bytes": finding.leak_bytes,
        "leak_objects": finding.leak_objects,
        "bug": result.bugs.get(finding.id),
        "claimed_fixed": result.claims.get(finding.id),
        "first_seen": result.first_seen.get(finding.id),
        "unsymbolized": finding.id in result.unsymbolized,
        "reports": _reports(result, finding),  # last: see _write_finding
    }


def _reports(result: TriageResult, finding: Finding) -> list[ReportRef]:
    """Every report in report order: the first, then the others parsed now and
    the stored ones (each already in order) merged."""
    parsed = [_place(r, result.input_of) for r in finding.reports]
    if not finding.stored:
        return parsed
    if len(parsed) == 1:
        return [*parsed, *finding.stored]
    return [parsed[0], *heapq.merge(parsed[1:], finding.stored, key=_PLACE)]


def _place(report: Report, input_of: Callable[[Report], str | None]) -> ReportRef:
    source = report.source
    return ReportRef(
        source.log,
        source.offset,
        source.pid,
        report.address,
        report.truncated,
        input_of(report),
        report.tool,
    )


def write(document: dict[str, Any], out: IO[str]) -> None:
    """The document with one finding (and one unparsed entry) per line.

    Laid out by hand around the encoding of each item: `indent` turns off the
    C encoder, which a triage of thousands of reports then waits on.
    """
    out.write("{\n")
    last = len(document) - 1
    for number, (key, value) in enumerate(document.items()):
        out.write(f"  {_encode(key)}: ")
        if key == "findings" and value:
            _write_findings(value, out)
        elif isinstance(value, list) and value:
            out.write("[\n    ")
            out.write(",\n    ".join(map(_encode, value)))
            out.write("\n  ]")
        else:
            out.write(_encode(value))
        out.write(",\n" if number < last else "\n")
    out.write("}\n")


def _write_findings(findings: Sequence[dict[str, Any]], out: IO[str]) -> None:
    heads: dict[str, str] = {}  # see _report_json
    out.write("[\n    ")
    for number, finding in enumerate(findings):
        if number:
            out.write(",\n    ")
        _write_finding(finding, out, heads)
    out.write("\n  ]")


def _write_finding(finding: dict[str, Any], out: IO[str], heads: dict[str, str]) -> None:
    """A finding's fields through the encoder, then its reports (the last
    field) spelled out: the encoder would encode the seven keys of each of
    tens of thousands of reports again and again."""
    fields = dict(finding)
    reports: list[ReportRef] = fields.pop("reports")
    out.write(_encode(fields)[:-1])  # the closing brace comes after the reports
    out.write(', "reports": [')
    out.write(", ".join([_report_json(ref, heads) for ref in reports]))
    out.write("]}")


def _report_json(ref: ReportRef, heads: dict[str, str]) -> str:
    """A report as a JSON object: ReportRef's fields, in order, strings escaped
    by the encoder's own function. `heads` keeps, per log, the text up to its
    offset: a log's reports share it."""
    log, offset, pid, address, truncated, given, tool = ref
    head = heads.get(log)
    if head is None:
        head = heads[log] = f'{{"log": {encode_basestring(log)}, "offset": '
    return (
        f'{head}{offset}, "pid": {"null" if pid is None else pid},'
        f' "address": {"null" if address is None else encode_basestring(address)},'
        f' "truncated": {"true" if truncated else "false"},'
        f' "input": {"null" if given is None else encode_basestring(given)},'
        f' "tool": {encode_basestring(tool)}}}'
    )
