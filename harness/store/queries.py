"""Read side of the store: what `show` and `history` display, and the
reports of logs already ingested (so a second triage need not read them)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import UsageError
from harness.model import Frame, Report, SignatureFrame, Source, Stack
from harness.store import rows


@dataclass(frozen=True, slots=True)
class StoredFinding:
    id: str
    title: str
    kind: str
    access: str | None
    severity: str
    security: bool
    tools: tuple[str, ...]
    frames: tuple[SignatureFrame, ...]
    status: str
    bug_key: str | None
    signature_version: int
    first_commit: str | None
    first_time: str
    last_commit: str | None
    last_time: str
    count: int


@dataclass(frozen=True, slots=True)
class Place:
    log: str
    offset: int
    input: str | None
    commit: str | None
    dirty: bool


@dataclass(frozen=True, slots=True)
class Event:
    time: str
    commit: str | None
    old_status: str | None
    new_status: str
    note: str | None


@dataclass(frozen=True, slots=True)
class FindingDetail:
    """Everything `harness show` prints about one finding."""

    finding: StoredFinding
    representative: Report | None
    places: tuple[Place, ...]
    events: tuple[Event, ...]
    same_bug: tuple[str, ...]


_RANK = {"high": 0, "medium": 1, "low": 2}
_FINDING_QUERY = (
    "SELECT f.*, (SELECT COUNT(*) FROM reports r WHERE r.finding_id = f.id) AS count"
    " FROM findings f"
)


def _stored(row: sqlite3.Row) -> StoredFinding:
    return StoredFinding(
        id=row["id"],
        title=row["title"],
        kind=row["kind"],
        access=row["access"],
        severity=row["severity"],
        security=bool(row["security"]),
        tools=tuple(json.loads(row["tools"])),
        frames=rows.frames_from_json(row["frames"]),
        status=row["status"],
        bug_key=row["bug_key"],
        signature_version=row["signature_version"],
        first_commit=row["first_commit"],
        first_time=row["first_time"],
        last_commit=row["last_commit"],
        last_time=row["last_time"],
        count=row["count"],
    )


def resolve(conn: sqlite3.Connection, prefix: str) -> str:
    """The one finding id starting with `prefix`; a UsageError when none or several."""
    clean = prefix.strip().lower()
    if not clean or any(c not in "0123456789abcdef" for c in clean):
        raise UsageError(f"{prefix!r} is not a finding id (hex); see `harness history`")
    ids = [r[0] for r in conn.execute("SELECT id FROM findings WHERE id LIKE ?", (clean + "%",))]
    if not ids:
        raise UsageError(f"no finding with id {prefix}; `harness history` lists them")
    if len(ids) > 1:
        raise UsageError(f"{prefix} matches {len(ids)} findings ({', '.join(ids[:5])}); give more")
    return ids[0]


def first_commits(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, str | None]:
    """finding id → the commit it was first seen at (None: outside a repository)."""
    found: dict[str, str | None] = {}
    for chunk in _chunks(list(ids), 900):
        marks = ",".join("?" * len(chunk))
        query = f"SELECT id, first_commit FROM findings WHERE id IN ({marks})"
        found.update(conn.execute(query, chunk).fetchall())
    return found


def history(conn: sqlite3.Connection) -> tuple[StoredFinding, ...]:
    """Every stored finding, oldest first; within one ingestion most severe first."""
    found = tuple(_stored(row) for row in conn.execute(_FINDING_QUERY))
    return tuple(
        sorted(found, key=lambda f: (f.first_time, _RANK.get(f.severity, 9), -f.count, f.id))
    )


def detail(conn: sqlite3.Connection, prefix: str) -> FindingDetail:
    finding_id = resolve(conn, prefix)
    finding = _stored(conn.execute(_FINDING_QUERY + " WHERE f.id = ?", (finding_id,)).fetchone())
    place_rows = conn.execute(
        "SELECT r.*, l.path, l.input, l.commit_sha, l.dirty, l.run_id, l.job, s.json AS stacks"
        " FROM reports r JOIN logs l ON l.key = r.log_key"
        " LEFT JOIN stacks s ON s.hash = r.stacks_hash"
        " WHERE r.finding_id = ? ORDER BY l.path, r.offset",
        (finding_id,),
    ).fetchall()
    representative = None
    if place_rows:
        first = place_rows[0]
        stacks = rows.stacks_from_json(first["stacks"] or "[]")
        representative = rows.report_from_row(first, first["path"], stacks)
    places = tuple(
        Place(r["path"], r["offset"], r["input"], r["commit_sha"], bool(r["dirty"]))
        for r in place_rows
    )
    events = tuple(
        Event(r["time"], r["commit_sha"], r["old_status"], r["new_status"], r["note"])
        for r in conn.execute(
            "SELECT * FROM finding_events WHERE finding_id = ? ORDER BY id", (finding_id,)
        )
    )
    same_bug = tuple(
        r[0]
        for r in conn.execute(
            "SELECT id FROM findings WHERE bug_key = ? AND id != ? ORDER BY id",
            (finding.bug_key, finding_id),
        )
    )
    return FindingDetail(finding, representative, places, events, same_bug)


_STORED_COLUMNS = (
    "log_key, offset, length, pid, tool, kind, access, access_size, address, truncated,"
    " leak, headline, stacks_hash, leak_bytes, leak_objects"
)


def stored_reports(conn: sqlite3.Connection, shown_by_key: Mapping[str, str]) -> list[Report]:
    """The reports of already-ingested logs, placed at the paths given now.

    Built positionally from plain tuples: a second triage of a large corpus
    spends most of its time here.
    """
    cache: dict[str, tuple[Stack, ...]] = {}
    frames: dict[tuple[object, ...], Frame] = {}
    stacks_text = dict(conn.execute("SELECT hash, json FROM stacks").fetchall())
    found: list[Report] = []
    for (
        key,
        off,
        length,
        pid,
        tool,
        kind,
        acc,
        size,
        addr,
        trunc,
        leak,
        head,
        digest,
        leaked,
        objects,
    ) in report_rows(conn, shown_by_key, _STORED_COLUMNS):
        shown = shown_by_key.get(key)
        if shown is None:
            continue
        stacks = cache.get(digest or "")
        if stacks is None:
            text = stacks_text.get(digest or "", "[]")
            stacks = cache[digest or ""] = rows.stacks_from_json(text, frames)
        found.append(
            Report(
                tool,
                kind,
                Source(shown, off, length, pid),
                head,
                acc,
                size,
                addr,
                None,
                stacks,
                None,
                bool(trunc),
                rows.leak_details(leak, leaked, objects) if leak else {},
            )
        )
    return found


def report_rows(
    conn: sqlite3.Connection, keys: Collection[str], columns: str
) -> Iterable[tuple[Any, ...]]:
    """`columns` of the stored reports of `keys` (and maybe of other logs too), as tuples."""
    cursor = conn.cursor()
    cursor.row_factory = None
    if _most_logs(conn, keys):
        # Most logs wanted (a triage of an unchanged corpus): one scan costs
        # less than looking each log up; the caller skips the others.
        return cursor.execute(f"SELECT {columns} FROM reports ORDER BY id")
    return _rows_of(cursor, keys, columns, "ORDER BY id")


def leak_rows(
    conn: sqlite3.Connection, keys: Collection[str]
) -> Iterable[tuple[str, str, int | None, int | None]]:
    """Log key, finding id, bytes and objects of the stored leak reports of
    `keys` (and maybe of other logs too), in no order: read from their own
    index (reports_leaks), never from the other reports."""
    cursor = conn.cursor()
    cursor.row_factory = None
    columns = "log_key, finding_id, leak_bytes, leak_objects"
    if _most_logs(conn, keys):
        return cursor.execute(f"SELECT {columns} FROM reports WHERE leak IS NOT NULL")
    return _rows_of(cursor, keys, columns, "AND leak IS NOT NULL")


def _most_logs(conn: sqlite3.Connection, keys: Collection[str]) -> bool:
    """Whether `keys` name at least half the stored logs."""
    return 2 * len(keys) >= conn.execute("SELECT COUNT(*) FROM logs").fetchone()[0]


def _rows_of(
    cursor: sqlite3.Cursor, keys: Collection[str], columns: str, rest: str
) -> Iterable[tuple[Any, ...]]:
    for chunk in _chunks(list(keys), 900):
        marks = ",".join("?" * len(chunk))
        query = f"SELECT {columns} FROM reports WHERE log_key IN ({marks}) {rest}"
        yield from cursor.execute(query, chunk)


def stat_cache(conn: sqlite3.Connection) -> dict[str, tuple[int, int, str]]:
    """path → (size, mtime_ns, log key). Every row names a stored log: it is
    written by the ingestion that stores its log, and no log is ever removed."""
    query = "SELECT path, size, mtime_ns, log_key FROM stat_cache"
    return {path: (size, mtime, key) for path, size, mtime, key in conn.execute(query)}


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
