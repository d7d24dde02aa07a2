"""SARIF 2.1.0 output, for code-scanning services.

One rule per kind; one result per finding, located at its first frame in the
project's own sources (relative to `%SRCROOT%`), with the finding id as a stable
partial fingerprint so a service tracks it across commits, and every stack of the
representative report attached.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from harness import __version__, model
from harness.render.escape import clean
from harness.render.view import FindingView, Location, ReportView, project_location

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "harnessFindingId/v1"
SRCROOT = "%SRCROOT%"
INFORMATION_URI = "https://github.com/google/sanitizers/wiki"

LEVELS = {"high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning ranks security results by this number (CVSS-like, 0.0 to 10.0).
SECURITY_SEVERITY = {"high": "8.0", "medium": "5.0", "low": "2.0"}

DESCRIPTIONS = {
    "heap-buffer-overflow": "Access outside the bounds of a heap block",
    "stack-buffer-overflow": "Access outside the bounds of a stack variable",
    "global-buffer-overflow": "Access outside the bounds of a global variable",
    "heap-use-after-free": "Access to heap memory after it was freed",
    "stack-use-after-return": "Access to a stack variable after its function returned",
    "stack-use-after-scope": "Access to a stack variable after its scope ended",
    "double-free": "Memory freed twice",
    "bad-free": "Free of memory that was not allocated",
    "alloc-dealloc-mismatch": "Memory freed with the wrong deallocation function",
    "leak": "Memory allocated and never freed",
    "null-dereference": "Read or write through a null pointer",
    "segv": "Segmentation fault",
    "stack-overflow": "Stack exhausted",
    "memcpy-param-overlap": "memcpy on overlapping buffers",
    "signed-integer-overflow": "Signed integer overflow",
    "use-of-uninitialized-value": "Use of an uninitialized value",
    "data-race": "Data race between threads",
}


def render_sarif(view: ReportView) -> str:
    """The SARIF 2.1.0 log for `view`, as indented JSON text."""
    kinds = sorted({item.finding.kind for item in view.findings})
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "harness",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(kind, view) for kind in kinds],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(view.root)}},
        "results": [_result(item, kinds.index(item.finding.kind), view) for item in view.findings],
        "columnKind": "utf16CodeUnits",
        **_invocations(view),
        "properties": {
            "project": clean(view.project) or None,
            "commit": view.commit,
            "generated": view.generated,
        },
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _invocations(view: ReportView) -> dict[str, Any]:
    """A failed build makes the run unsuccessful, with the compiler's message attached."""
    if not view.problems:
        return {}
    notes = [
        {"level": "error", "message": {"text": clean(f"{problem.title}\n{problem.detail}")}}
        for problem in view.problems
    ]
    invocation = {"executionSuccessful": False, "toolExecutionNotifications": notes}
    return {"invocations": [invocation]}


def _rule(kind: str, view: ReportView) -> dict[str, Any]:
    items = [item for item in view.findings if item.finding.kind == kind]
    worst = min(items, key=lambda item: _rank(item.finding.severity)).finding.severity
    rule: dict[str, Any] = {
        "id": kind,
        "name": "".join(part.capitalize() for part in kind.split("-")),
        "shortDescription": {"text": DESCRIPTIONS.get(kind, kind.replace("-", " ").capitalize())},
        "defaultConfiguration": {"level": LEVELS.get(worst, "warning")},
        "properties": {"tags": ["memory"]},
    }
    if any(item.finding.security for item in items):
        rule["properties"] = {
            "tags": ["memory", "security"],
            "security-severity": SECURITY_SEVERITY.get(worst, "5.0"),
        }
    return rule


def _rank(severity: str) -> int:
    return list(LEVELS).index(severity) if severity in LEVELS else len(LEVELS)


def _result(item: FindingView, rule_index: int, view: ReportView) -> dict[str, Any]:
    finding = item.finding
    result: dict[str, Any] = {
        "ruleId": finding.kind,
        "ruleIndex": rule_index,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": clean(finding.title)},
        "partialFingerprints": {FINGERPRINT: finding.id},
        "properties": {
            "severity": finding.severity,
            "security": finding.security,
            "tools": list(finding.tools),
            "count": item.count,
            "status": item.status,
            "firstSeen": clean(item.first_seen) or None,
            "access": finding.access,
            "accessSize": finding.access_size,
        },
    }
    if item.location is not None:
        result["locations"] = [_location(item.location)]
    if item.representative is not None and item.representative.stacks:
        result["stacks"] = [_stack(stack, view.root) for stack in item.representative.stacks]
    return result


def _location(location: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(location.path, location.relative)}
    region = _region(location.line, location.column)
    if region:
        physical["region"] = region
    result: dict[str, Any] = {"physicalLocation": physical}
    if location.function:
        result["logicalLocations"] = [{"name": clean(location.function), "kind": "function"}]
    return result


def _artifact(path: str, relative: bool) -> dict[str, Any]:
    if relative:
        return {"uri": quote(clean(path)), "uriBaseId": SRCROOT}
    return {"uri": PurePosixPath(clean(path)).as_uri()}


def _region(line: int | None, column: int | None) -> dict[str, int]:
    region: dict[str, int] = {}
    if line is not None and line >= 1:
        region["startLine"] = line
        if column is not None and column >= 1:
            region["startColumn"] = column
    return region


def _stack(stack: model.Stack, root: str) -> dict[str, Any]:
    text = stack.role + (f" (thread {clean(stack.thread)})" if stack.thread else "")
    return {"message": {"text": text}, "frames": [_frame(frame, root) for frame in stack.frames]}


def _frame(frame: model.Frame, root: str) -> dict[str, Any]:
    location: dict[str, Any] = {}
    where = project_location(frame.file, root, strict=True)
    if where is not None:
        physical: dict[str, Any] = {"artifactLocation": _artifact(*where)}
    elif frame.file and frame.file.startswith("/"):
        physical = {"artifactLocation": _artifact(frame.file, False)}
    else:
        physical = {"artifactLocation": {"uri": quote(clean(frame.file))}} if frame.file else {}
    if physical:
        region = _region(frame.line, frame.column)
        if region:
            physical["region"] = region
        location["physicalLocation"] = physical
    if frame.function:
        location["logicalLocations"] = [{"name": clean(frame.function), "kind": "function"}]
    if frame.pc is not None:
        location["message"] = {"text": f"{frame.pc:#x}"}
    result: dict[str, Any] = {"location": location}
    if frame.module:
        result["module"] = clean(frame.module)
    return result


def _root_uri(root: str) -> str:
    path = PurePosixPath(root or "/")
    uri = path.as_uri() if path.is_absolute() else quote(str(path))
    # A base URI must end with a slash or relative URIs resolve against its parent.
    return uri if uri.endswith("/") else uri + "/"
