"""How one ingestion moves each finding's lifecycle: where and when it was
seen, the clean runs of its reproducers, and the events that record each
change (harness.lifecycle holds the rules)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Container, Sequence
from itertools import chain
from typing import TYPE_CHECKING

from harness import lifecycle
from harness.lifecycle import MUTED, NEW, OPEN
from harness.model import Finding
from harness.store import evidence, rows

if TYPE_CHECKING:
    from harness.store.ingestion import Ingestion, LogEntry


def sightings(
    ingestion: Ingestion, fresh: dict[str, LogEntry]
) -> dict[str, tuple[tuple[lifecycle.Seen, bool], ...]]:
    """Per finding: where and when it appeared, and whether in a log new to the store."""
    fresh_shown = {entry.shown for entry in fresh.values()}
    started = {r.id: r.started for r in ingestion.runs}
    now = ingestion.run.started
    # what each log tells, worked out once: a log's reports may fall in several
    # findings, and thousands of logs share a few runs and commits
    alike: dict[tuple[str | None, str | None, bool], tuple[lifecycle.Seen, bool]] = {}
    told = {}
    for e in ingestion.logs:
        facts = (e.run_id, e.commit, e.shown in fresh_shown)
        sighting = alike.get(facts)
        if sighting is None:
            sighting = alike[facts] = _sighting(e, fresh_shown, started, now)
        told[e.shown] = sighting
    if len(alike) == 1:
        # Every log tells the same (one corpus at one commit): a finding was seen
        # once if any of its logs is in this ingestion. Listing its logs would
        # cost a set and a sort of thousands of paths per finding.
        only = (*alike.values(),)
        return {c.finding.id: only if _in(c.finding, told) else () for c in ingestion.clusters}
    return {
        c.finding.id: tuple(dict.fromkeys(filter(None, map(told.get, c.finding.logs()))))
        for c in ingestion.clusters
    }


def _in(finding: Finding, logs: Container[str]) -> bool:
    """Whether a report of `finding` lies in one of `logs` (shown paths)."""
    shown = chain((r.source.log for r in finding.reports), (ref.log for ref in finding.stored))
    return any(log in logs for log in shown)


def _sighting(
    entry: LogEntry, fresh_shown: set[str], started: dict[str, str], now: str
) -> tuple[lifecycle.Seen, bool]:
    is_fresh = entry.shown in fresh_shown
    run_started = started.get(entry.run_id or "", now)
    when = evidence.time_key(run_started, now if is_fresh else "")
    return (lifecycle.Seen(when, entry.commit), is_fresh)


def fold(
    conn: sqlite3.Connection,
    ingestion: Ingestion,
    finding: Finding | None,
    sightings: Sequence[tuple[lifecycle.Seen, bool]],
    new_jobs: bool,
    finding_id: str | None = None,
) -> str:
    """Apply the evidence to one finding (inserting it when first seen); its shown status."""
    fid = finding.id if finding is not None else str(finding_id)
    row = conn.execute("SELECT * FROM findings WHERE id = ?", (fid,)).fetchone()
    # clean runs are evidence only with jobs new to the store: the older ones
    # were folded in when they came (this spares a second triage the queries)
    state = _state(conn, fid, row, new_jobs)
    cleans = evidence.clean_runs(conn, fid, state.seen_time) if new_jobs else []
    # A log the store held already was folded in when it came: seeing it again
    # is no new sighting (re-triaging a run changes no status). Only a finding
    # the store has never recorded takes every log it is in.
    seen = [s for s, is_fresh in sightings if is_fresh or row is None]
    state, changes = lifecycle.evolve(state, seen, cleans, ingestion.clean_runs)
    muted = bool(row["muted"]) if row is not None else False
    if row is None and finding is not None:
        _insert_finding(conn, ingestion, finding, sightings)
    if state.status is None:
        return MUTED if muted else NEW
    _save_state(conn, fid, state, muted, finding, sightings, ingestion.run.started)
    for change in changes:
        note = change.note if not muted else "; ".join(filter(None, [change.note, "muted"]))
        run = ingestion.run
        _event(conn, fid, run.id, change.commit, run.started, change.old, change.new, note)
    return lifecycle.shown_status(state.status, muted)


def _state(
    conn: sqlite3.Connection, fid: str, row: sqlite3.Row | None, with_commits: bool
) -> lifecycle.State:
    if row is None:
        return lifecycle.State()
    query = (
        "SELECT DISTINCT l.commit_sha FROM reports r JOIN logs l ON l.key = r.log_key"
        " WHERE r.finding_id = ? AND l.commit_sha IS NOT NULL"
    )
    commits = frozenset(r[0] for r in conn.execute(query, (fid,))) if with_commits else frozenset()
    status = (row["base_status"] or OPEN) if row["muted"] else row["status"]
    # a finding stored before migration 2 has no sighting time: its last-seen time
    seen_time = row["seen_time"] or evidence.time_key(row["last_time"])
    return lifecycle.State(
        status=status if status != MUTED else OPEN,
        seen_time=seen_time,
        fixed_time=row["fixed_time"],
        fixed_commit=row["fixed_commit"],
        seen_commits=commits,
    )


def _insert_finding(
    conn: sqlite3.Connection,
    ingestion: Ingestion,
    f: Finding,
    sightings: Sequence[tuple[lifecycle.Seen, bool]],
) -> None:
    now = ingestion.run.started
    ordered = sorted(sightings, key=lambda s: s[0].time)
    first = ordered[0][0].commit if ordered else ingestion.run.commit
    last = ordered[-1][0].commit if ordered else ingestion.run.commit
    bug = next((c.bug_key for c in ingestion.clusters if c.finding.id == f.id), None)
    conn.execute(
        "INSERT INTO findings (id, signature_version, kind, access, access_size, leak,"
        " title, severity, security, tools, frames, bug_key, status, first_commit,"
        " first_time, last_commit, last_time)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (f.id, f.signature_version, f.kind, f.access, f.access_size, f.leak, f.title)
        + (f.severity, int(f.security), json.dumps(list(f.tools)))
        + (rows.frames_json(f.frames), bug, NEW, first, now, last, now),
    )


def _save_state(
    conn: sqlite3.Connection,
    fid: str,
    state: lifecycle.State,
    muted: bool,
    finding: Finding | None,
    sightings: Sequence[tuple[lifecycle.Seen, bool]],
    now: str,
) -> None:
    status, base = (MUTED, state.status) if muted else (state.status, None)
    conn.execute(
        "UPDATE findings SET status = ?, base_status = ?, seen_time = ?, fixed_time = ?,"
        " fixed_commit = ? WHERE id = ?",
        (status, base, state.seen_time, state.fixed_time, state.fixed_commit, fid),
    )
    fresh = sorted((s for s, is_fresh in sightings if is_fresh), key=lambda s: s.time)
    if finding is None or not fresh:
        return
    row = conn.execute("SELECT tools FROM findings WHERE id = ?", (fid,)).fetchone()
    tools = sorted(set(json.loads(row[0])) | set(finding.tools))
    conn.execute(
        "UPDATE findings SET tools = ?, last_commit = ?, last_time = ? WHERE id = ?",
        (json.dumps(tools), fresh[-1].commit, now, fid),
    )


def _event(
    conn: sqlite3.Connection,
    finding: str,
    ingestion: str | None,
    commit: str | None,
    time: str,
    old: str | None,
    new: str,
    note: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO finding_events (finding_id, ingestion, commit_sha, time, old_status,"
        " new_status, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (finding, ingestion, commit, time, old, new, note),
    )
