"""Golden files: parsed reports as plain JSON, written by `--regen-golden`, else compared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.model import Frame, ParseResult, Report, Stack


def frame_json(frame: Frame) -> dict[str, Any]:
    return {
        "index": frame.index,
        "pc": None if frame.pc is None else hex(frame.pc),
        "function": frame.function,
        "file": frame.file,
        "line": frame.line,
        "column": frame.column,
        "module": frame.module,
        "module_offset": None if frame.module_offset is None else hex(frame.module_offset),
        "build_id": frame.build_id,
    }


def stack_json(stack: Stack) -> dict[str, Any]:
    return {
        "role": stack.role,
        "thread": stack.thread,
        "frames": [frame_json(frame) for frame in stack.frames],
    }


def report_json(report: Report) -> dict[str, Any]:
    return {
        "tool": report.tool,
        "kind": report.kind,
        "access": report.access,
        "access_size": report.access_size,
        "address": report.address,
        "pid": report.source.pid,
        "offset": report.source.offset,
        "length": report.source.length,
        "thread": report.thread,
        "truncated": report.truncated,
        "headline": report.headline,
        "summary": report.summary,
        "details": report.details,
        "stacks": [stack_json(stack) for stack in report.stacks],
    }


def result_json(result: ParseResult) -> dict[str, Any]:
    return {
        "reports": [report_json(report) for report in result.reports],
        "unparsed": [{"offset": u.offset, "reason": u.reason} for u in result.unparsed],
    }


def check_golden(result: ParseResult, expected: Path, regen: bool) -> None:
    """Write `expected` when regenerating, else assert the result equals it."""
    actual = result_json(result)
    if regen:
        expected.write_text(json.dumps(actual, indent=1) + "\n")
        return
    assert expected.exists(), f"{expected} is missing: run pytest --regen-golden once"
    assert actual == json.loads(expected.read_text())
