"""One ingestion = one transaction: logs, reports, findings and their events.

BEGIN IMMEDIATE takes the write lock before anything is read, so two
triages at once run one after the other (busy_timeout makes the second
wait) and each sees what the other wrote. An ingestion killed half way
leaves the database as it was.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from harness.model import Report, Stack
from harness.store import rows
from harness.triage.cluster import Cluster

NEW, OPEN, FIXED, REGRESSED, MUTED = "new", "open", "fixed", "regressed", "muted"


@dataclass(frozen=True, slots=True)
class RunRow:
    id: str
    kind: str
    commit: str | None
    branch: str | None
    dirty: bool
    started: str
    profile: str | None = None
    compiler: str | None = None


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log of this triage. `shown` is the path as given (Report.source.log)."""

    key: str
    shown: str
    path: str
    size: int
    commit: str | None
    dirty: bool
    run_id: str | None = None
    job: int | None = None
    input: str | None = None
    reports: tuple[Report, ...] = ()
    stat: tuple[int, int] | None = None  # (size, mtime_ns) when read from disk
    cached: bool = False  # the stat cache already holds exactly this stat
    # The stacks hash of each report (rows.stacks_hash) when already known,
    # with the texts in Ingestion.stacks; computed from the reports otherwise.
    stacks_hashes: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Ingestion:
    run: RunRow
    logs: tuple[LogEntry, ...]
    clusters: tuple[Cluster, ...]
    runs: tuple[RunRow, ...] = ()
    stacks: Mapping[str, str] = field(default_factory=dict)  # hash → stacks_json


@dataclass(frozen=True, slots=True)
class Outcome:
    statuses: dict[str, str] = field(default_factory=dict)
    logs_added: int = 0
    reports_added: int = 0


def existing_keys(conn: sqlite3.Connection, keys: Iterable[str]) -> set[str]:
    found: set[str] = set()
    batch = list(keys)
    for start in range(0, len(batch), 500):
        chunk = batch[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(
            r[0] for r in conn.execute(f"SELECT key FROM logs WHERE key IN ({marks})", chunk)
        )
    return found


def ingest(conn: sqlite3.Connection, ingestion: Ingestion) -> Outcome:
    """Write the ingestion in one transaction; logs already stored are skipped."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        outcome = _write(conn, ingestion)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return outcome


def _write(conn: sqlite3.Connection, ingestion: Ingestion) -> Outcome:
    known = existing_keys(conn, (entry.key for entry in ingestion.logs))
    fresh: dict[str, LogEntry] = {}
    for entry in ingestion.logs:
        if entry.key not in known and entry.key not in fresh:
            fresh[entry.key] = entry
    _insert_runs(conn, (ingestion.run, *ingestion.runs))
    fresh_shown = {entry.shown for entry in fresh.values()}
    finding_of = {
        (report.source.log, report.source.offset): c.finding.id
        for c in ingestion.clusters
        for report in c.finding.reports
        if report.source.log in fresh_shown
    }
    _insert_logs(conn, ingestion.run.id, fresh.values())
    added = _insert_reports(conn, fresh.values(), finding_of, ingestion.stacks)
    statuses = _update_findings(conn, ingestion, fresh)
    _update_stat_cache(conn, ingestion.logs)
    return Outcome(statuses=statuses, logs_added=len(fresh), reports_added=added)


def _insert_runs(conn: sqlite3.Connection, runs: Sequence[RunRow]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO runs (id, kind, commit_sha, branch, dirty, started, profile,"
        " compiler) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (r.id, r.kind, r.commit, r.branch, int(r.dirty), r.started, r.profile, r.compiler)
            for r in runs
        ],
    )


def _insert_logs(conn: sqlite3.Connection, ingestion: str, logs: Iterable[LogEntry]) -> None:
    conn.executemany(
        "INSERT INTO logs (key, path, size, run_id, job, input, commit_sha, dirty, ingestion)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (e.key, e.path, e.size, e.run_id, e.job, e.input, e.commit, int(e.dirty), ingestion)
            for e in logs
        ],
    )


def _insert_reports(
    conn: sqlite3.Connection,
    logs: Iterable[LogEntry],
    finding_of: dict[tuple[str, int], str],
    known: Mapping[str, str],
) -> int:
    stacks: dict[str, str] = {}
    digests: dict[rows.StacksKey, str] = {}
    report_rows = []
    for entry in logs:
        hashes = entry.stacks_hashes
        if hashes is None:
            hashes = tuple(_stacks_hash(r.stacks, digests, stacks) for r in entry.reports)
        else:
            stacks.update((digest, known[digest]) for digest in hashes if digest not in stacks)
        for r, digest in zip(entry.reports, hashes, strict=True):
            leak = r.details.get("leak") if r.kind == "leak" else None
            report_rows.append(
                (entry.key, r.source.offset, r.source.length, r.source.pid, r.tool, r.kind)
                + (r.access, r.access_size, r.address, int(r.truncated), leak, r.headline)
                + (digest, finding_of[(r.source.log, r.source.offset)])
            )
    conn.executemany("INSERT OR IGNORE INTO stacks (hash, json) VALUES (?, ?)", stacks.items())
    conn.executemany(
        "INSERT INTO reports (log_key, offset, length, pid, tool, kind, access, access_size,"
        " address, truncated, leak, headline, stacks_hash, finding_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        report_rows,
    )
    return len(report_rows)


def _stacks_hash(
    value: Sequence[Stack], digests: dict[rows.StacksKey, str], texts: dict[str, str]
) -> str:
    """The stacks' hash, memoized on their content; new texts are added to `texts`."""
    content = rows.stacks_key(value)
    digest = digests.get(content)
    if digest is None:
        text = rows.key_json(content)
        digest = digests[content] = rows.stacks_hash(text)
        texts[digest] = text
    return digest


def next_status(old: str, added: bool) -> str:
    """The lifecycle step when a finding is seen again (`added`: in logs not seen before)."""
    if old == MUTED:
        return MUTED
    if old == FIXED:
        return REGRESSED if added else FIXED
    if old == REGRESSED and added:
        return REGRESSED
    return OPEN


def _update_findings(
    conn: sqlite3.Connection, ingestion: Ingestion, fresh: dict[str, LogEntry]
) -> dict[str, str]:
    by_shown = {entry.shown: entry for entry in fresh.values()}
    now, run = ingestion.run.started, ingestion.run.id
    statuses: dict[str, str] = {}
    for c in ingestion.clusters:
        f = c.finding
        new_logs = [by_shown[r.source.log] for r in f.reports if r.source.log in by_shown]
        commit = new_logs[-1].commit if new_logs else ingestion.run.commit
        row = conn.execute("SELECT status, tools FROM findings WHERE id = ?", (f.id,)).fetchone()
        if row is None:
            first = new_logs[0].commit if new_logs else commit
            conn.execute(
                "INSERT INTO findings (id, signature_version, kind, access, access_size, leak,"
                " title, severity, security, tools, frames, bug_key, status, first_commit,"
                " first_time, last_commit, last_time)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (f.id, f.signature_version, f.kind, f.access, f.access_size, f.leak, f.title)
                + (f.severity, int(f.security), json.dumps(list(f.tools)))
                + (rows.frames_json(f.frames), c.bug_key, NEW, first, now, commit, now),
            )
            _event(conn, f.id, run, first, now, None, NEW)
            statuses[f.id] = NEW
            continue
        old, tools = row[0], set(json.loads(row[1])) | set(f.tools)
        status = next_status(old, bool(new_logs))
        if new_logs:
            conn.execute(
                "UPDATE findings SET status = ?, tools = ?, last_commit = ?, last_time = ?"
                " WHERE id = ?",
                (status, json.dumps(sorted(tools)), commit, now, f.id),
            )
        else:
            conn.execute("UPDATE findings SET status = ? WHERE id = ?", (status, f.id))
        if status != old:
            _event(conn, f.id, run, commit, now, old, status)
        statuses[f.id] = status
    return statuses


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


def _update_stat_cache(conn: sqlite3.Connection, logs: Iterable[LogEntry]) -> None:
    changed = [(e.path, e.stat[0], e.stat[1], e.key) for e in logs if e.stat and not e.cached]
    conn.executemany(
        "INSERT OR REPLACE INTO stat_cache (path, size, mtime_ns, log_key) VALUES (?, ?, ?, ?)",
        changed,
    )
