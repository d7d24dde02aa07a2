"""Nightly records, and the stored reports of one finding for report files.

Each `harness nightly` leaves one row: the status of every finding after the
night. The next night compares against the latest row of its branch that
counts as a baseline: a dry run or a night whose mail failed did not tell
anyone, so the changes it saw are still news.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from harness.model import Report, Stack
from harness.store import rows

# `mail` values of a night whose changes somebody was told about (or chose not to be)
BASELINE_MAIL = ("sent", "not needed", "off", "not configured")


@dataclass(frozen=True, slots=True)
class NightlyRecord:
    """One `harness nightly`. `statuses` maps every finding to the status shown after it."""

    id: str
    branch: str | None
    commit: str | None
    dirty: bool
    started: str
    finished: str
    statuses: dict[str, str] = field(hash=False, compare=False)
    counts: dict[str, int] = field(hash=False, compare=False)
    failures: tuple[dict[str, str | None], ...] = ()
    mail: str = "off"


def record(conn: sqlite3.Connection, night: NightlyRecord) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "INSERT INTO nightlies (id, branch, commit_sha, dirty, started, finished, statuses,"
            " counts, failures, mail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                night.id,
                night.branch,
                night.commit,
                int(night.dirty),
                night.started,
                night.finished,
                json.dumps(night.statuses, sort_keys=True),
                json.dumps(night.counts, sort_keys=True),
                json.dumps(list(night.failures)),
                night.mail,
            ),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def baseline(conn: sqlite3.Connection, branch: str | None) -> NightlyRecord | None:
    """The latest nightly on `branch` (None: a detached HEAD) whose changes were told."""
    marks = ",".join("?" * len(BASELINE_MAIL))
    row = conn.execute(
        "SELECT * FROM nightlies WHERE branch IS ? AND mail IN"
        f" ({marks}) ORDER BY finished DESC, id DESC LIMIT 1",
        (branch, *BASELINE_MAIL),
    ).fetchone()
    return _record(row) if row else None


def _record(row: sqlite3.Row) -> NightlyRecord:
    return NightlyRecord(
        id=row["id"],
        branch=row["branch"],
        commit=row["commit_sha"],
        dirty=bool(row["dirty"]),
        started=row["started"],
        finished=row["finished"],
        statuses=json.loads(row["statuses"]),
        counts=json.loads(row["counts"]),
        failures=tuple(json.loads(row["failures"])),
        mail=row["mail"],
    )


def statuses(conn: sqlite3.Connection) -> dict[str, str]:
    """finding id → the status the store shows now (`muted` while muted)."""
    return {r[0]: r[1] for r in conn.execute("SELECT id, status FROM findings")}


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A stored report of a finding, with the input of the job whose log held it."""

    report: Report
    input: str | None
    commit: str | None


def finding_reports(conn: sqlite3.Connection, finding: str, limit: int) -> tuple[StoredReport, ...]:
    """The latest `limit` reports of `finding`, newest first, whole (stacks included)."""
    found = conn.execute(
        "SELECT r.*, l.path, l.input, l.commit_sha, s.json AS stacks FROM reports r"
        " JOIN logs l ON l.key = r.log_key LEFT JOIN stacks s ON s.hash = r.stacks_hash"
        " WHERE r.finding_id = ? ORDER BY r.id DESC LIMIT ?",
        (finding, limit),
    ).fetchall()
    return tuple(
        StoredReport(
            rows.report_from_row(row, row["path"], _stacks(row)),
            row["input"],
            row["commit_sha"],
        )
        for row in found
    )


def _stacks(row: sqlite3.Row) -> tuple[Stack, ...]:
    return rows.stacks_from_json(row["stacks"] or "[]")
