"""The SQLite store, on real files: ingestion, idempotence, atomicity, concurrency,
lifecycle and re-keying."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.model import Report
from harness.store import Ingestion, LogEntry, RunRow, Store, open_store, utc_now
from harness.store import ingestion as ingest_module
from harness.store.light import rules_key
from harness.store.schema import SCHEMA_VERSION
from harness.triage.cluster import cluster
from harness.triage.signature import SIGNATURE_VERSION, signature
from tests.unit.reportbuilders import leak_report, report

REPO = Path(__file__).resolve().parents[2]
SHA1, SHA2 = "1" * 40, "2" * 40


def _ingestion(
    logs: dict[str, list[Report]], run: str = "triage-1", commit: str = SHA1
) -> Ingestion:
    entries = tuple(
        LogEntry(
            key=f"sha256:{name}",
            shown=name,
            path=f"/abs/{name}",
            size=100,
            commit=commit,
            dirty=False,
            reports=tuple(reps),
        )
        for name, reps in logs.items()
    )
    reports = [r for reps in logs.values() for r in reps]
    return Ingestion(
        RunRow(run, "triage", commit, "main", False, utc_now()), entries, cluster(reports)
    )


def _logs(prefix: str = "") -> dict[str, list[Report]]:
    return {
        f"{prefix}a.log": [
            report(log=f"{prefix}a.log"),
            leak_report(log=f"{prefix}a.log", offset=300),
        ],
        f"{prefix}b.log": [report(log=f"{prefix}b.log")],
    }


def _dump(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    dump = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    conn.close()
    return dump


def _counts(store: Store) -> dict[str, int]:
    return {f.id: f.count for f in store.history()}


def test_schema_is_versioned_and_wal(tmp_path: Path) -> None:
    db = tmp_path / "f.db"
    open_store(db).close()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    assert SCHEMA_VERSION >= 2
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_same_logs_twice_change_no_counts_and_no_status(tmp_path: Path) -> None:
    with open_store(tmp_path / "f.db") as store:
        first = store.ingest(_ingestion(_logs()))
        counts = _counts(store)
        events = store.conn.execute("SELECT COUNT(*) FROM finding_events").fetchone()[0]
        again = store.ingest(_ingestion(_logs(), run="triage-2"))
        assert set(first.statuses.values()) == {"new"}
        assert set(again.statuses.values()) == {"new"}  # not seen again: the same sighting
        assert (first.logs_added, first.reports_added) == (2, 3)
        assert (again.logs_added, again.reports_added) == (0, 0)
        assert _counts(store) == counts
        assert sorted(counts.values()) == [1, 2]
        assert store.conn.execute("SELECT COUNT(*) FROM finding_events").fetchone()[0] == events


def test_same_crash_in_a_later_run_still_counts(tmp_path: Path) -> None:
    with open_store(tmp_path / "f.db") as store:
        store.ingest(_ingestion(_logs()))
        later = _ingestion(_logs("run2/"), run="triage-2", commit=SHA2)
        store.ingest(later)
        overflow = signature(report()).id
        assert _counts(store)[overflow] == 4
        found = {f.id: f for f in store.history()}[overflow]
        assert (found.first_commit, found.last_commit, found.status) == (SHA1, SHA2, "open")
        events = store.detail(overflow[:6]).events
        assert [(e.old_status, e.new_status, e.commit) for e in events] == [
            (None, "new", SHA1),
            ("new", "open", SHA2),
        ]


def test_failure_in_the_middle_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "f.db"
    with open_store(db) as store:
        store.ingest(_ingestion({"a.log": [report(log="a.log")]}))
    before = _dump(db)

    def explode(*args: object) -> None:
        raise RuntimeError("killed half way")

    monkeypatch.setattr(ingest_module, "_update_findings", explode)
    with open_store(db) as store, pytest.raises(RuntimeError):
        store.ingest(_ingestion(_logs("x/"), run="triage-2"))
    assert _dump(db) == before


_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from harness.store import ingestion as ingest_module, open_store
    from tests.integration.test_store import _ingestion, _logs
    mode, db, prefix, run = sys.argv[1:5]
    if mode == "kill":
        ingest_module._update_findings = lambda *a: os._exit(9)
    with open_store(db) as store:
        store.ingest(_ingestion(_logs(prefix), run=run))
    """
)


def _ingest_in_process(db: Path, mode: str, prefix: str, run: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-c", _SCRIPT, mode, str(db), prefix, run]
    return subprocess.Popen(argv, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def test_killed_process_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "f.db"
    with open_store(db) as store:
        store.ingest(_ingestion({"a.log": [report(log="a.log")]}))
    before = _dump(db)
    assert _ingest_in_process(db, "kill", "k/", "triage-k").wait() == 9
    assert _dump(db) == before
    with open_store(db) as store:  # and it is still usable
        assert store.ingest(_ingestion(_logs("k/"), run="triage-k")).logs_added == 2


def test_two_processes_at_once_both_land(tmp_path: Path) -> None:
    db = tmp_path / "f.db"
    open_store(db).close()
    procs = [_ingest_in_process(db, "ok", f"p{i}/", f"triage-p{i}") for i in range(2)]
    assert [p.wait() for p in procs] == [0, 0]
    with open_store(db) as store:
        assert sorted(_counts(store).values()) == [2, 4]
        logs = store.conn.execute("SELECT COUNT(*) FROM logs").fetchone()[0]
        assert logs == 4
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        news = store.conn.execute(
            "SELECT COUNT(*) FROM finding_events WHERE new_status = 'new'"
        ).fetchone()[0]
        assert news == 2  # each finding was new exactly once


def test_outdated_signatures_are_rekeyed_from_stored_reports(tmp_path: Path) -> None:
    with open_store(tmp_path / "f.db") as store:
        store.ingest(_ingestion(_logs()))
        right = signature(report()).id
        conn = store.conn
        conn.execute(
            "UPDATE findings SET id = 'deadbeef0000', signature_version = 0 WHERE id = ?", (right,)
        )
        conn.execute(
            "UPDATE reports SET finding_id = 'deadbeef0000' WHERE finding_id = ?", (right,)
        )
        conn.execute(
            "UPDATE finding_events SET finding_id = 'deadbeef0000' WHERE finding_id = ?", (right,)
        )
        assert store.rekey_outdated() == 1
        counts = _counts(store)
        assert "deadbeef0000" not in counts and counts[right] == 2
        detail = store.detail(right)
        assert detail.finding.signature_version == SIGNATURE_VERSION
        assert detail.events[0].new_status == "new"
        assert detail.events[-1].note == "re-keyed from deadbeef0000"
        assert store.rekey_outdated() == 0


def test_a_rekey_moves_suppressed_reports_too_and_then_stored_ids_hold(tmp_path: Path) -> None:
    """Every report signed under this project's rules at version 0: after the
    re-key, the rules record names the current rules, so the next triage may
    read stored ids back as they are; a report stored with no finding moved too."""
    old_rules = json.dumps([0, 3, []])
    with open_store(tmp_path / "f.db") as store:
        store.ingest(_ingestion(_logs()))
        right, leak = signature(report()).id, signature(leak_report()).id
        conn = store.conn
        conn.execute("UPDATE findings SET signature_version = 0")
        # the leak was suppressed at its triage: stored under an old id, no finding
        conn.execute("DELETE FROM findings WHERE id = ?", (leak,))
        conn.execute("UPDATE reports SET finding_id = 'deadbeef0000' WHERE finding_id = ?", (leak,))
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('signature_rules', ?)", (old_rules,)
        )
        assert not store.rules_hold(rules_key((), 3))

        assert store.rekey_outdated() == 1

        assert store.rules_hold(rules_key((), 3))
        moved = conn.execute("SELECT DISTINCT finding_id FROM reports ORDER BY 1").fetchall()
        assert sorted(row[0] for row in moved) == sorted([right, leak])
        assert [f.id for f in store.history()] == [right]


def test_a_rekey_keeps_a_store_of_mixed_rules_on_the_safe_path(tmp_path: Path) -> None:
    with open_store(tmp_path / "f.db") as store:
        store.ingest(_ingestion(_logs()))
        store.conn.execute("UPDATE findings SET signature_version = 0")
        store.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('signature_rules', 'mixed')"
        )
        store.rekey_outdated()
        assert not store.rules_hold(rules_key((), 3))


def test_show_finds_a_unique_prefix_and_keeps_every_stack(tmp_path: Path) -> None:
    uaf = report(
        kind="heap-use-after-free",
        access="READ",
        alloc=("malloc", "mk", "main"),
        free=("free", "drop", "main"),
        log="u.log",
    )
    with open_store(tmp_path / "f.db") as store:
        store.ingest(_ingestion({"u.log": [uaf]}))
        fid = signature(uaf).id
        detail = store.detail(fid[:4])
        assert detail.finding.id == fid
        assert detail.representative is not None
        assert [s.role for s in detail.representative.stacks] == ["crash", "free", "alloc"]
        assert detail.places[0].log == "/abs/u.log" and detail.places[0].commit == SHA1
        assert detail.finding.bug_key == signature(uaf).bug_key
        assert json.loads(store.conn.execute("SELECT tools FROM findings").fetchone()[0]) == [
            "asan"
        ]
