"""The migration hook for signature rules: findings stored under an older
SIGNATURE_VERSION are re-keyed from their stored reports.

Every report of an outdated finding gets its signature computed again; its
reports move to the new id, which inherits the earliest first-seen, the
latest last-seen, the status and the event history of what it merged.
Reports stored with no finding (suppressed at their triage) move too. When
the store's record says every report was signed under this project's rules
at an older version, it then names the current rules, so that the next
triage reads stored finding ids back as they are (harness.store.light).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence

from harness.model import Stack
from harness.store import light, rows
from harness.store.fold import _event
from harness.triage.severity import rate
from harness.triage.signature import SIGNATURE_VERSION, Signature, signature


def outdated(conn: sqlite3.Connection) -> list[str]:
    query = "SELECT id FROM findings WHERE signature_version < ? ORDER BY id"
    return [row[0] for row in conn.execute(query, (SIGNATURE_VERSION,))]


def rekey(conn: sqlite3.Connection, ignore: Sequence[str], depth: int, now: str) -> int:
    """Re-key every outdated finding in one transaction; returns how many were re-keyed."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        old_ids = outdated(conn)
        for old in old_ids:
            _rekey_one(conn, old, ignore, depth, now)
        for orphan in _without_finding(conn):
            moved, _ = _resign(conn, orphan, ignore, depth)
            _move_reports(conn, moved)
        light.renew_rules(conn, ignore, depth)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(old_ids)


def _without_finding(conn: sqlite3.Connection) -> list[str]:
    """The finding ids of stored reports that have no finding (suppressed ones)."""
    query = (
        "SELECT DISTINCT finding_id FROM reports"
        " WHERE finding_id NOT IN (SELECT id FROM findings) ORDER BY finding_id"
    )
    return [row[0] for row in conn.execute(query)]


def _resign(
    conn: sqlite3.Connection, old: str, ignore: Sequence[str], depth: int
) -> tuple[dict[str, list[int]], dict[str, Signature]]:
    """The reports stored under `old`, signed again: new id → report row ids,
    and new id → its signature."""
    cache: dict[str, tuple[Stack, ...]] = {}
    moved: dict[str, list[int]] = defaultdict(list)
    sigs: dict[str, Signature] = {}
    for row in conn.execute(
        "SELECT r.*, s.json AS stacks FROM reports r LEFT JOIN stacks s ON s.hash = r.stacks_hash"
        " WHERE r.finding_id = ?",
        (old,),
    ).fetchall():
        text = row["stacks"] or "[]"
        if text not in cache:
            cache[text] = rows.stacks_from_json(text)
        sig = signature(rows.report_from_row(row, "", cache[text]), ignore, depth)
        moved[sig.id].append(row["id"])
        sigs[sig.id] = sig
    return moved, sigs


def _move_reports(conn: sqlite3.Connection, moved: dict[str, list[int]]) -> None:
    conn.executemany(
        "UPDATE reports SET finding_id = ? WHERE id = ?",
        [(new_id, i) for new_id, report_ids in moved.items() for i in report_ids],
    )


def _rekey_one(
    conn: sqlite3.Connection, old: str, ignore: Sequence[str], depth: int, now: str
) -> None:
    moved, sigs = _resign(conn, old, ignore, depth)
    kept = moved.pop(old, None) is not None  # some reports keep their id under the new rules
    _move_reports(conn, moved)
    for new_id in moved:
        _split_off(conn, old, sigs[new_id], now)
    if kept:
        conn.execute(
            "UPDATE findings SET signature_version = ? WHERE id = ?", (SIGNATURE_VERSION, old)
        )
        return
    conn.execute("DELETE FROM reproducers WHERE finding_id = ?", (old,))
    conn.execute("DELETE FROM finding_events WHERE finding_id = ?", (old,))
    conn.execute("DELETE FROM findings WHERE id = ?", (old,))


def _split_off(conn: sqlite3.Connection, old: str, sig: Signature, now: str) -> None:
    """Reports of finding `old` now signed `sig`: the finding `sig.id` takes on
    what `old` knew (first and last seen, status, events, reproducers)."""
    source = conn.execute("SELECT * FROM findings WHERE id = ?", (old,)).fetchone()
    _merge_into(conn, source, sig, now)
    conn.execute(
        "INSERT INTO finding_events (finding_id, ingestion, commit_sha, time, old_status,"
        " new_status, note) SELECT ?, ingestion, commit_sha, time, old_status, new_status,"
        " note FROM finding_events WHERE finding_id = ? ORDER BY id",
        (sig.id, old),
    )
    # approximate: every part keeps every reproducer of the finding it came from
    conn.execute(
        "INSERT OR IGNORE INTO reproducers (finding_id, target, profile, input_sha256, input,"
        " first_time) SELECT ?, target, profile, input_sha256, input, first_time"
        " FROM reproducers WHERE finding_id = ?",
        (sig.id, old),
    )
    status = source["status"]
    _event(conn, sig.id, None, None, now, status, status, f"re-keyed from {old}")


def _merge_into(conn: sqlite3.Connection, source: sqlite3.Row, sig: Signature, now: str) -> None:
    existing = conn.execute("SELECT * FROM findings WHERE id = ?", (sig.id,)).fetchone()
    rating = rate(sig.kind, sig.access)
    if existing is None:
        conn.execute(
            "INSERT INTO findings (id, signature_version, kind, access, access_size, leak, title,"
            " severity, security, tools, frames, bug_key, status, muted, first_commit,"
            " first_time, last_commit, last_time)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sig.id, sig.version, sig.kind, sig.access, source["access_size"], sig.leak)
            + (sig.title, rating.severity, int(rating.security), source["tools"])
            + (rows.frames_json(sig.frames), sig.bug_key, source["status"], source["muted"])
            + (source["first_commit"], source["first_time"])
            + (source["last_commit"], source["last_time"]),
        )
        return
    tools = sorted(set(json.loads(existing["tools"])) | set(json.loads(source["tools"])))
    first = min(existing, source, key=lambda row: row["first_time"])
    last = max(existing, source, key=lambda row: row["last_time"])
    conn.execute(
        "UPDATE findings SET tools = ?, first_time = ?, first_commit = ?, last_time = ?,"
        " last_commit = ? WHERE id = ?",
        (json.dumps(tools), first["first_time"], first["first_commit"])
        + (last["last_time"], last["last_commit"], sig.id),
    )
