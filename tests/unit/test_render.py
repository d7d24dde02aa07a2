"""Rendering: the JSON contract, the table and the Markdown, from a hand-built result."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any, cast

from harness.model import Commit, ReportRef, Unparsed
from harness.pipeline import LogInfo, Stats, TriageResult
from harness.render import Format, markdown, table
from harness.triage.cluster import cluster
from tests.unit.reportbuilders import leak_report, report

SHA = "a" * 40


def _result(status: str | None = "new") -> TriageResult:
    reports = [
        report(log="logs/r/job-0001/asan.1", offset=0),
        report(log="crash.log", offset=120),
        leak_report(log="crash.log", offset=900),
    ]
    clusters = cluster(reports)
    findings = tuple(replace(c.finding, status=status) for c in clusters)
    logs = {
        "logs/r/job-0001/asan.1": LogInfo(
            "logs/r/job-0001/asan.1", "run:r/job:1/x", "in/1", "r", 1, SHA
        ),
        "crash.log": LogInfo("crash.log", "sha256:00", None, None, None, SHA),
    }
    return TriageResult(
        findings=findings,
        unparsed=(Unparsed("bad.log", 7, "header without a stack"),),
        stats=Stats(logs=3, reports=3, findings=2, bytes=4096, seconds=0.01),
        commit=Commit(SHA, "main", False),
        logs=logs,
        bugs={c.finding.id: c.bug_key for c in clusters},
        stored=status is not None,
    )


def _written(result: TriageResult) -> dict[str, Any]:
    out = io.StringIO()
    Format.JSON.render(result, out)
    return cast(dict[str, Any], json.loads(out.getvalue()))


def test_json_follows_the_contract() -> None:
    doc = _written(_result())
    assert doc["schema"] == "harness.triage/1"
    assert doc["commit"] == SHA
    assert set(doc) >= {"schema", "commit", "findings", "unparsed", "stats"}
    assert doc["stats"] == {"logs": 3, "reports": 3, "findings": 2, "bytes": 4096, "seconds": 0.01}
    assert doc["unparsed"] == [{"log": "bad.log", "reason": "header without a stack"}]
    first = doc["findings"][0]
    required = {"id", "title", "tools", "kind", "access", "access_size", "severity", "security"}
    assert set(first) >= required | {"frames", "status", "count", "reports"}
    assert first["title"] == "heap-buffer-overflow WRITE in parse_header ‹ read_file ‹ main"
    assert first["tools"] == ["asan"] and first["access_size"] == 1
    assert (first["severity"], first["security"], first["status"], first["count"]) == (
        "high",
        True,
        "new",
        2,
    )
    assert first["frames"][0] == {
        "function": "parse_header",
        "key": "parse_header",
        "file": "src/x.c",
        "line": 10,
        "module": None,
    }
    rep = first["reports"][1]
    assert set(rep) >= {"log", "offset", "pid", "address", "truncated", "input"}
    assert (rep["log"], rep["input"], rep["pid"], rep["truncated"]) == (
        "logs/r/job-0001/asan.1",
        "in/1",
        42,
        False,
    )
    assert first["reports"][0]["input"] is None


def test_json_status_is_null_without_store() -> None:
    doc = _written(_result(status=None))
    assert [f["status"] for f in doc["findings"]] == [None, None]


def test_json_reports_are_objects_with_every_field_of_a_place() -> None:
    # GIVEN stored reports (ReportRef) with values JSON must escape or spell as null
    odd = [
        ReportRef('logs/"q"\\b\tc\u00e9\u2039.log', 0, None, None, True, None, "asan"),
        ReportRef("crash.log", 7, 4242, "0x6020", False, "in/\u00fc \x01", "memcheck"),
    ]
    result = _result()
    first = replace(result.findings[1], stored=tuple(odd))
    # WHEN written
    doc = _written(replace(result, findings=(result.findings[0], first)))
    # THEN each is an object with ReportRef's fields, in order, values intact
    reports = doc["findings"][1]["reports"]
    assert [list(r) for r in reports[1:]] == [list(ReportRef._fields)] * 2
    assert reports[1:] == [ref._asdict() for ref in odd]
    assert doc["findings"][1]["count"] == 3


def test_table_rows_in_rank_order() -> None:
    view = table.build(_result())
    assert [row[1] for row in view.rows] == ["high", "low"]
    assert view.rows[0][4].startswith("heap-buffer-overflow WRITE in parse_header")
    assert view.rows[0][5:] == ("2", "new")
    out = io.StringIO()
    table.write(view, out)
    text = out.getvalue()
    for header in table.HEADERS:
        assert header in text.splitlines()[0]
    assert "unparsed: bad.log: header without a stack" in text


def _with_sized_leaks() -> TriageResult:
    """The result with two sized leaks (74 bytes in 2 objects) in place of its one."""
    result = _result()
    leaks = [
        replace(leak_report(log="crash.log", offset=offset), details=details)
        for offset, details in (
            (900, {"leak": "direct", "bytes": 64, "objects": 1}),
            (1400, {"leak": "direct", "bytes": 10, "objects": 1}),
        )
    ]
    (leak,) = cluster(leaks)
    findings = (result.findings[0], replace(leak.finding, status="new"))
    return replace(result, findings=findings)


def test_json_leak_findings_say_what_they_leaked_and_others_null() -> None:
    doc = _written(_with_sized_leaks())
    overflow, leak = doc["findings"]
    assert (leak["leak"], leak["leak_bytes"], leak["leak_objects"]) == ("direct", 74, 2)
    assert (overflow["leak"], overflow["leak_bytes"], overflow["leak_objects"]) == (None,) * 3
    assert list(leak)[-1] == "reports"


def test_table_and_markdown_follow_a_leak_title_with_what_it_leaked() -> None:
    result = _with_sized_leaks()
    rows = table.build(result).rows
    assert rows[1][4] == "leak (direct) in make_node ‹ main — 74 bytes in 2 objects"
    assert "—" not in rows[0][4]
    lines = markdown.build(result).lines
    assert any(
        line.startswith("| ") and "make\\_node ‹ main — 74 bytes in 2 objects |" in line
        for line in lines
    )


def test_markdown_escapes_log_text() -> None:
    result = _result()
    evil = replace(result.findings[0], title="x <script>alert(1)</script> | y")
    view = markdown.build(replace(result, findings=(evil,)))
    text = "\n".join(view.lines)
    assert "<script>" not in text
    assert "\\<script\\>" in text
    assert "\\|" in text


def test_format_enum_covers_every_choice() -> None:
    for fmt in Format:
        out = io.StringIO()
        fmt.render(_result(), out)
        assert out.getvalue().strip()
