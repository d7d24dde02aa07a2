"""Clustering: one finding per signature, order-independent, ranked."""

from __future__ import annotations

import itertools
from dataclasses import replace

from harness.model import Frame, Report
from harness.triage.cluster import cluster, cluster_signed, sign, with_shown_frames
from tests.unit.reportbuilders import leak_report, report


def _reports():
    return [
        # the same overflow reached by two inputs through the same path
        report(log="logs/b.log", offset=0),
        report(log="logs/a.log", offset=10, tool="memcheck"),
        # a different bug in the same function
        report(kind="heap-use-after-free", access="READ", log="logs/c.log"),
        leak_report(log="logs/d.log"),
        leak_report(log="logs/d.log", offset=500),
        leak_report(log="logs/e.log"),
        report(kind="heap-buffer-overflow", access="READ", crash=("scan", "main"), log="f.log"),
    ]


def test_same_path_is_one_finding_different_bugs_are_not() -> None:
    clusters = cluster(_reports())
    by_title = {c.finding.title: c.finding for c in clusters}
    overflow = by_title["heap-buffer-overflow WRITE in parse_header ‹ read_file ‹ main"]
    assert len(overflow.reports) == 2
    assert overflow.tools == ("asan", "memcheck")
    assert len(clusters) == 4


def test_result_does_not_depend_on_input_order() -> None:
    reports = _reports()
    expected = cluster(reports)
    for perm in itertools.islice(itertools.permutations(reports), 0, 200, 7):
        assert cluster(list(perm)) == expected


def test_reports_are_sorted_by_place_in_logs() -> None:
    overflow = next(
        c.finding for c in cluster(_reports()) if c.finding.kind == "heap-buffer-overflow"
    )
    assert [r.source.log for r in overflow.reports] == ["logs/a.log", "logs/b.log"]


def test_ranking_severity_then_count_then_id() -> None:
    findings = [c.finding for c in cluster(_reports())]
    assert [f.severity for f in findings] == ["high", "high", "medium", "low"]
    highs = findings[:2]
    # the overflow WRITE (2 reports) before the use-after-free (1 report)
    assert [len(f.reports) for f in highs] == [2, 1]
    assert findings[3].kind == "leak" and len(findings[3].reports) == 3


def test_equal_rank_is_broken_by_id() -> None:
    a = report(crash=("alpha", "main"), log="1")
    b = report(crash=("beta", "main"), log="2")
    ids = [c.finding.id for c in cluster([a, b])]
    assert ids == sorted(ids)


def _sized(leak: Report, size: int, objects: int) -> Report:
    """The leak report with its size, as the parsers give it."""
    return replace(leak, details={**leak.details, "bytes": size, "objects": objects})


def test_a_leak_finding_totals_the_bytes_and_objects_of_its_reports() -> None:
    # GIVEN three leaks from one allocating line, in two logs, and an overflow
    reports = [
        _sized(leak_report(log="d.log"), 32, 1),
        _sized(leak_report(log="d.log", offset=500), 10, 2),
        _sized(leak_report(log="e.log"), 32, 1),
        report(log="f.log"),
    ]
    # WHEN clustered
    found = {c.finding.kind: c.finding for c in cluster(reports)}
    # THEN the leak finding says what they leaked in all; the overflow says nothing
    leak = found["leak"]
    assert (leak.count, leak.leak_bytes, leak.leak_objects) == (3, 74, 4)
    overflow = found["heap-buffer-overflow"]
    assert (overflow.leak_bytes, overflow.leak_objects) == (None, None)


def test_a_leak_without_a_size_adds_nothing_and_none_leaves_the_total_unknown() -> None:
    sized = _sized(leak_report(log="d.log"), 24, 3)
    unsized = leak_report(log="e.log")
    (mixed,) = cluster([sized, unsized])
    (alone,) = cluster([unsized])
    assert (mixed.finding.leak_bytes, mixed.finding.leak_objects) == (24, 3)
    assert (alone.finding.leak_bytes, alone.finding.leak_objects) == (None, None)


def test_the_frames_shown_are_the_first_reports_whichever_was_signed_first() -> None:
    def at(line: int, log: str) -> Report:
        crash = tuple(
            Frame(i, function=f, file="src/x.c", line=line + i)
            for i, f in enumerate(("parse_header", "read_file", "main"))
        )
        return report(crash=crash, log=log)

    later, earlier = at(40, "logs/b.log"), at(10, "logs/a.log")
    # signed in read order, the later log first: its lines are the shared signature's
    signed = sign([later, earlier])
    signed = [(r, signed[0][1]) for r, _ in signed]
    (shown,) = with_shown_frames(cluster_signed(signed))
    assert shown.finding.reports[0] is earlier
    assert [f.line for f in shown.finding.frames] == [10, 11, 12]
