"""One ingestion = one transaction: logs, reports, findings and their events.

BEGIN IMMEDIATE takes the write lock before anything is read, so two
triages at once run one after the other (busy_timeout makes the second
wait) and each sees what the other wrote. An ingestion killed half way
leaves the database as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from harness import lifecycle
from harness.lifecycle import FIXED, MUTED, NEW, OPEN, REGRESSED
from harness.model import Job, Report, Stack, printable_path
from harness.store import evidence, fold, rows
from harness.triage.cluster import Cluster

__all__ = [
    "FIXED",
    "MUTED",
    "NEW",
    "OPEN",
    "REGRESSED",
    "Ingestion",
    "LogEntry",
    "Outcome",
    "RunRow",
    "existing_keys",
    "ingest",
]


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


class LogEntry(NamedTuple):
    """One log of this triage. `shown` is the path as given (Report.source.log).

    A NamedTuple rather than a frozen dataclass: immutable all the same, and
    a triage of a large corpus builds one per log, at a third of the cost."""

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
    cached: bool = False  # the stat cache holds exactly this stat: the log is stored
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
    # every job of the runs.jsonl files found: a job that ran a reproducer to
    # its end without the finding is the evidence of a fix
    jobs: tuple[Job, ...] = ()
    # clean executions of a reproducer at one commit that make a finding fixed
    clean_runs: int = lifecycle.DEFAULT_CLEAN_RUNS
    # (log, offset) → finding id of reports stored with their log but shown in
    # no finding (suppressed): no finding row, no lifecycle event
    hidden: Mapping[tuple[str, int], str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    statuses: dict[str, str] = field(default_factory=dict)
    logs_added: int = 0
    reports_added: int = 0
    # finding → the commits of the logs new to the store that showed it
    seen: dict[str, tuple[str, ...]] = field(default_factory=dict)


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
    # a log the stat cache knew is stored (logs are never removed): only the
    # others need looking up
    looked_up = [entry for entry in ingestion.logs if not entry.cached]
    known = existing_keys(conn, (entry.key for entry in looked_up))
    fresh: dict[str, LogEntry] = {}
    for entry in looked_up:
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
    finding_of.update(
        (place, fid) for place, fid in ingestion.hidden.items() if place[0] in fresh_shown
    )
    _insert_logs(conn, ingestion.run.id, fresh.values())
    added = _insert_reports(conn, fresh.values(), finding_of, ingestion.stacks)
    statuses, seen = _update_findings(conn, ingestion, fresh)
    _update_stat_cache(conn, ingestion.logs)
    return Outcome(statuses=statuses, logs_added=len(fresh), reports_added=added, seen=seen)


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
            (e.key, printable_path(e.path), e.size, e.run_id, e.job, e.input, e.commit)
            + (int(e.dirty), ingestion)
            for e in logs
        ],
    )


_NO_SIZE = (None, None)  # leak_bytes, leak_objects of a report that is no leak


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
            size = (r.details.get("bytes"), r.details.get("objects")) if leak else _NO_SIZE
            report_rows.append(
                (entry.key, r.source.offset, r.source.length, r.source.pid, r.tool, r.kind)
                + (r.access, r.access_size, r.address, int(r.truncated), leak, r.headline)
                + (digest, finding_of[(r.source.log, r.source.offset)])
                + size
            )
    conn.executemany("INSERT OR IGNORE INTO stacks (hash, json) VALUES (?, ?)", stacks.items())
    conn.executemany(
        "INSERT INTO reports (log_key, offset, length, pid, tool, kind, access, access_size,"
        " address, truncated, leak, headline, stacks_hash, finding_id, leak_bytes, leak_objects)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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


def _update_findings(
    conn: sqlite3.Connection, ingestion: Ingestion, fresh: dict[str, LogEntry]
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Fold this ingestion's evidence into every finding it concerns; returns the
    shown status of the findings of this triage, and where fresh logs showed them."""
    run = ingestion.run
    jobs = {(job.run_id, job.job): job for job in ingestion.jobs}
    job_of_log = {
        e.shown: jobs[(e.run_id, e.job)]
        for e in ingestion.logs
        if e.run_id is not None and e.job is not None and (e.run_id, e.job) in jobs
    }
    evidence.store_reproducers(conn, ingestion.clusters, job_of_log, run.started)
    new_jobs = evidence.store_jobs(conn, run.id, ingestion.jobs, {e.key for e in ingestion.logs})
    sightings = fold.sightings(ingestion, fresh)
    statuses: dict[str, str] = {}
    for c in ingestion.clusters:
        found = sightings[c.finding.id]
        statuses[c.finding.id] = fold.fold(conn, ingestion, c.finding, found, bool(new_jobs))
    for finding in sorted(evidence.affected_by(conn, new_jobs) - set(statuses)):
        fold.fold(conn, ingestion, None, (), True, finding)
    seen = {
        fid: tuple(dict.fromkeys(s.commit for s, is_fresh in found if is_fresh and s.commit))
        for fid, found in sightings.items()
    }
    return statuses, {fid: commits for fid, commits in seen.items() if commits}


def _update_stat_cache(conn: sqlite3.Connection, logs: Iterable[LogEntry]) -> None:
    """Record the stat of each log read from disk: every one is stored by now
    (by this ingestion or an earlier one), which queries.stat_cache relies on."""
    # a name that is not UTF-8 is stored escaped: it never matches, and its log
    # is known again by its content
    changed = [
        (printable_path(e.path), e.stat[0], e.stat[1], e.key)
        for e in logs
        if e.stat and not e.cached
    ]
    conn.executemany(
        "INSERT OR REPLACE INTO stat_cache (path, size, mtime_ns, log_key) VALUES (?, ?, ?, ?)",
        changed,
    )
