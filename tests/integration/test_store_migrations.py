"""Stores written by an older harness, migrated on opening: schema 4 gives each
leak report its bytes and objects, read from the headline of the reports
stored before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from harness.ledger.model import Group, Ledger
from harness.ledger.store import reports_of
from harness.model import Frame, Report
from harness.parse import parse_file
from harness.pipeline import TriageResult, triage
from harness.store import Ingestion, LogEntry, RunRow, open_store, utc_now
from harness.store.schema import SCHEMA_VERSION
from harness.triage.cluster import cluster

DATA = Path(__file__).resolve().parents[1] / "data"
LEAK_LOGS = ("gcc/leaks.log", "clang/leaks.log", "memcheck/leaks.log", "memcheck-xml/leaks.log")

pytestmark = pytest.mark.skipif(
    sqlite3.sqlite_version_info < (3, 35), reason="taking a store back to schema 3 drops columns"
)


def _back_to_schema_3(db: Path) -> None:
    """The store as schema 3 left it: leak reports without their sizes."""
    conn = sqlite3.connect(db)
    conn.executescript(
        """DROP INDEX reports_leaks;
        ALTER TABLE reports DROP COLUMN leak_bytes;
        ALTER TABLE reports DROP COLUMN leak_objects;
        DELETE FROM schema_version WHERE version > 3;"""
    )
    conn.close()


def _ledger_reports() -> list[Report]:
    site = Frame(0, function="make_buffer", file="src/buf.c", line=12)
    groups = (Group((site,), "malloc", count=3, bytes=4100, own=True, offset=0),)
    made = reports_of(Ledger("ltrace", "ltrace.txt", (), None, None, None, groups))
    return [report for report in made if report is not None]


def _sizes(db: Path) -> dict[tuple[str, int], tuple[int | None, int | None]]:
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT log_key, offset, leak_bytes, leak_objects FROM reports WHERE leak IS NOT NULL"
    ).fetchall()
    conn.close()
    return {(key, offset): (size, objects) for key, offset, size, objects in rows}


def test_leak_sizes_of_reports_stored_at_schema_3_are_read_from_their_headlines(
    tmp_path: Path,
) -> None:
    # GIVEN the leak reports of every tool, stored by a harness at schema 3
    logs = {name: list(parse_file(DATA / "logs" / name, name).reports) for name in LEAK_LOGS}
    logs["ltrace.txt"] = _ledger_reports()
    entries = tuple(
        LogEntry(f"sha256:{name}", name, f"/abs/{name}", 100, None, False, reports=tuple(reps))
        for name, reps in logs.items()
    )
    clusters = cluster([report for reps in logs.values() for report in reps])
    run = RunRow("triage-1", "triage", None, None, False, utc_now())
    db = tmp_path / "findings.db"
    with open_store(db) as store:
        store.ingest(Ingestion(run, entries, clusters))
    written = _sizes(db)
    _back_to_schema_3(db)
    # WHEN opened by this harness
    open_store(db).close()
    # THEN each has the size its parser gave, as a report stored now has
    expected = {
        (f"sha256:{name}", r.source.offset): (r.details["bytes"], r.details["objects"])
        for name, reps in logs.items()
        for r in reps
        if r.kind == "leak"
    }
    assert len(expected) == 13 and all(size[0] for size in expected.values())
    assert _sizes(db) == written == expected
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def _leaked(result: TriageResult) -> dict[str, tuple[int | None, int | None]]:
    return {f.id: (f.leak_bytes, f.leak_objects) for f in result.findings}


def test_a_triage_of_logs_stored_before_the_migration_totals_the_same(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in LEAK_LOGS:
        (folder / name.replace("/", "-")).write_bytes((DATA / "logs" / name).read_bytes())
    db = tmp_path / "findings.db"
    with open_store(db) as store:
        first = triage([str(folder)], store=store, root=tmp_path, workers=1)
    _back_to_schema_3(db)
    # WHEN the same logs are triaged again from a migrated store, by place
    with open_store(db) as store:
        again = triage([str(folder)], store=store, root=tmp_path, workers=1)
        shown = store.detail(first.findings[0].id).representative
    assert all(f.stored for f in again.findings)
    assert _leaked(again) == _leaked(first)
    assert all(size is not None for sizes in _leaked(first).values() for size in sizes)
    # `harness show` reads the report back with its size
    assert shown is not None and shown.details["bytes"] > 0
