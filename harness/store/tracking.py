"""Findings across commits, on the store's side: muting, fix claims, bisection
results, and what `history`, `diff` and `bisect` read."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from harness.errors import UsageError
from harness.lifecycle import ACTIVE, FIXED, MUTED
from harness.store.evidence import Reproducer, clean_runs, reproducers, time_key


@dataclass(frozen=True, slots=True)
class Claim:
    """A commit whose message says `Fixes-finding: <prefix>`."""

    commit: str
    prefix: str


@dataclass(frozen=True, slots=True)
class Bisection:
    time: str
    good: str
    bad: str
    first_bad: str | None
    candidates: tuple[str, ...]  # several when skipped commits hide the first bad one
    steps: tuple[tuple[str, str, str], ...]  # (commit, verdict, detail)


@dataclass(frozen=True, slots=True)
class Tracking:
    """The cross-commit facts `show` and `history FINDING` add to a finding."""

    muted: bool
    mute_reason: str | None
    fixed_commit: str | None
    claimed_fixed: str | None
    claims: tuple[str, ...]
    reproducers: tuple[Reproducer, ...]
    bisections: tuple[Bisection, ...]


# -- key/value state ------------------------------------------------------


def meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _write(conn: sqlite3.Connection, statements: Sequence[tuple[str, Sequence[object]]]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, params in statements:
            conn.execute(sql, params)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# -- muting ---------------------------------------------------------------


def set_muted(conn: sqlite3.Connection, finding: str, reason: str | None, now: str) -> str:
    """Mute (reason given) or unmute (None) a finding; returns the status now shown."""
    row = conn.execute(
        "SELECT status, base_status, muted FROM findings WHERE id = ?", (finding,)
    ).fetchone()
    muted = bool(row["muted"])
    base = row["base_status"] if muted else row["status"]
    event = (
        "INSERT INTO finding_events (finding_id, time, old_status, new_status, note)"
        " VALUES (?, ?, ?, ?, ?)"
    )
    if reason is not None and muted:
        _write(conn, [("UPDATE findings SET mute_reason = ? WHERE id = ?", (reason, finding))])
        return MUTED
    if reason is not None:
        _write(
            conn,
            [
                (
                    "UPDATE findings SET status = ?, base_status = ?, muted = 1, mute_reason = ?"
                    " WHERE id = ?",
                    (MUTED, base, reason, finding),
                ),
                (event, (finding, now, base, MUTED, f"muted: {reason}")),
            ],
        )
        return MUTED
    if not muted:
        return str(base)
    _write(
        conn,
        [
            (
                "UPDATE findings SET status = ?, base_status = NULL, muted = 0,"
                " mute_reason = NULL WHERE id = ?",
                (base, finding),
            ),
            (event, (finding, now, MUTED, base, "unmuted")),
        ],
    )
    return str(base)


# -- fix claims -----------------------------------------------------------

CLAIMS_SCANNED = "claims_scanned_head"


def add_claims(conn: sqlite3.Connection, claims: Iterable[Claim], head: str, now: str) -> None:
    statements: list[tuple[str, Sequence[object]]] = [
        (
            "INSERT OR IGNORE INTO claims (commit_sha, prefix, time) VALUES (?, ?, ?)",
            (c.commit, c.prefix, now),
        )
        for c in claims
    ]
    statements.append(
        ("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (CLAIMS_SCANNED, head))
    )
    _write(conn, statements)


def claims(conn: sqlite3.Connection) -> tuple[Claim, ...]:
    return tuple(
        Claim(r[0], r[1])
        for r in conn.execute("SELECT commit_sha, prefix FROM claims ORDER BY time, commit_sha")
    )


def claims_of(conn: sqlite3.Connection, finding: str) -> tuple[str, ...]:
    return tuple(c.commit for c in claims(conn) if finding.startswith(c.prefix))


def mark_claimed(conn: sqlite3.Connection, contradicted: Mapping[str, str]) -> None:
    _write(
        conn,
        [
            ("UPDATE findings SET claimed_fixed = ? WHERE id = ?", (sha, finding))
            for finding, sha in sorted(contradicted.items())
        ],
    )


# -- bisection ------------------------------------------------------------


def record_bisection(conn: sqlite3.Connection, finding: str, result: Bisection) -> None:
    _write(
        conn,
        [
            (
                "INSERT INTO bisections (finding_id, time, good, bad, first_bad, candidates,"
                " steps) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (finding, result.time, result.good, result.bad, result.first_bad)
                + (
                    json.dumps(list(result.candidates)),
                    json.dumps([list(s) for s in result.steps]),
                ),
            )
        ],
    )


def bisections(conn: sqlite3.Connection, finding: str) -> tuple[Bisection, ...]:
    return tuple(
        Bisection(
            r["time"],
            r["good"],
            r["bad"],
            r["first_bad"],
            tuple(json.loads(r["candidates"])),
            tuple((s[0], s[1], s[2]) for s in json.loads(r["steps"])),
        )
        for r in conn.execute(
            "SELECT * FROM bisections WHERE finding_id = ? ORDER BY id", (finding,)
        )
    )


# -- reading --------------------------------------------------------------


def tracking(conn: sqlite3.Connection, finding: str) -> Tracking:
    row = conn.execute("SELECT * FROM findings WHERE id = ?", (finding,)).fetchone()
    if row is None:
        raise UsageError(f"no finding with id {finding}; `harness history` lists them")
    return Tracking(
        muted=bool(row["muted"]),
        mute_reason=row["mute_reason"],
        fixed_commit=row["fixed_commit"] if row["status"] == FIXED else None,
        claimed_fixed=row["claimed_fixed"],
        claims=claims_of(conn, finding),
        reproducers=reproducers(conn, finding),
        bisections=bisections(conn, finding),
    )


def active_reproducers(conn: sqlite3.Connection) -> tuple[tuple[str, Reproducer], ...]:
    """(finding, reproducer) of every finding still open (new, open or regressed;
    muted ones included: muting hides, it does not stop tracking)."""
    marks = ",".join("?" * len(ACTIVE))
    query = (
        "SELECT p.finding_id, p.target, p.profile, p.input_sha256, p.input FROM reproducers p"
        " JOIN findings f ON f.id = p.finding_id"
        f" WHERE (CASE WHEN f.muted THEN f.base_status ELSE f.status END) IN ({marks})"
        " ORDER BY p.finding_id, p.first_time, p.input_sha256"
    )
    return tuple((r[0], Reproducer(r[1], r[2], r[3], r[4])) for r in conn.execute(query, ACTIVE))


def seen_commits(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """finding → {commit → the earliest ingestion time of a log at that commit showing it}."""
    found: dict[str, dict[str, str]] = {}
    for fid, commit, when in conn.execute(
        "SELECT r.finding_id, l.commit_sha, MIN(i.started) FROM reports r"
        " JOIN logs l ON l.key = r.log_key JOIN runs i ON i.id = l.ingestion"
        " WHERE l.commit_sha IS NOT NULL GROUP BY r.finding_id, l.commit_sha"
    ):
        found.setdefault(fid, {})[commit] = when
    return found


def fixed_times(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """finding → the times of its events into `fixed`."""
    found: dict[str, list[str]] = {}
    for fid, when in conn.execute(
        "SELECT finding_id, time FROM finding_events WHERE new_status = ? ORDER BY id", (FIXED,)
    ):
        found.setdefault(fid, []).append(when)
    return found


def clean_counts(conn: sqlite3.Connection, finding: str) -> dict[str, int]:
    """commit → clean executions of the finding's reproducers there."""
    counts: dict[str, int] = {}
    for clean in clean_runs(conn, finding, None):
        counts[clean.commit] = counts.get(clean.commit, 0) + 1
    return counts


def run_commits(conn: sqlite3.Connection) -> list[str]:
    """Commits of `harness run` runs, newest run first, each once."""
    # run ids tell the second a run started; within one second, the run triaged
    # first ran first
    ordered = conn.execute(
        "SELECT r.commit_sha FROM runs r WHERE r.kind = 'run' AND r.commit_sha IS NOT NULL"
        " ORDER BY r.started DESC, (SELECT MIN(i.started) FROM jobs j JOIN runs i"
        " ON i.id = j.ingestion WHERE j.run_id = r.id) DESC, r.id DESC"
    )
    return list(dict.fromkeys(r[0] for r in ordered))


def known_commits(conn: sqlite3.Connection) -> set[str]:
    return {
        r[0]
        for r in conn.execute("SELECT DISTINCT commit_sha FROM runs WHERE commit_sha IS NOT NULL")
    }


__all__ = ["Bisection", "Claim", "Tracking", "time_key"]
