"""What the runs executed: jobs, reproducers, and the evidence the lifecycle folds.

Every job of an ingested runs.jsonl is stored, those that left no log
included: a job that ran a finding's reproducer to its end without showing
it is the only evidence of a fix. A job counts only once every log it
names has been ingested (`complete`): a log not read is no proof of absence.

Evidence is ordered by `time keys`: the run's start (second resolution, from
its id), then the start of the ingestion that stored it, so two runs of one
second triaged one after the other still come in order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from harness.lifecycle import Clean
from harness.model import Job
from harness.triage.cluster import Cluster

NO_INPUT = ""


@dataclass(frozen=True, slots=True)
class Reproducer:
    """(target, profile, input) whose execution showed a finding; `sha256` is
    NO_INPUT for a target that runs with no input."""

    target: str
    profile: str
    sha256: str
    input: str | None


def time_key(run_started: str, ingestion_started: str = "") -> str:
    return f"{run_started[:19]}Z/{ingestion_started}"


def job_key(run_id: str, job: int) -> tuple[str, int]:
    return (run_id, job)


def log_key(job: Job, relpath: str) -> str:
    return f"run:{job.run_id}/job:{job.job}/{relpath}"


def store_jobs(
    conn: sqlite3.Connection, ingestion: str, jobs: Sequence[Job], log_keys: set[str]
) -> list[Job]:
    """Insert the jobs; returns those whose evidence is new: complete now and not before."""
    known = _stored_completeness(conn, {job.run_id for job in jobs})
    complete = [job for job in jobs if all(log_key(job, rel) in log_keys for rel in job.logs)]
    conn.executemany(
        "INSERT OR IGNORE INTO jobs (run_id, job, target, profile, compiler, input,"
        " input_sha256, repeat, commit_sha, dirty, exit_code, signal, timed_out, oom, logs,"
        " complete, ingestion) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
        [_job_row(job, ingestion) for job in jobs if (job.run_id, job.job) not in known],
    )
    fresh = [job for job in complete if not known.get((job.run_id, job.job), False)]
    conn.executemany(
        "UPDATE jobs SET complete = 1, ingestion = ? WHERE run_id = ? AND job = ?",
        [(ingestion, job.run_id, job.job) for job in fresh],
    )
    return fresh


def _job_row(job: Job, ingestion: str) -> tuple[object, ...]:
    return (job.run_id, job.job, job.target, job.profile, job.compiler, job.input) + (
        job.input_sha256 or NO_INPUT,
        job.repeat,
        job.commit,
        int(job.dirty),
        job.exit_code,
        job.signal,
        int(job.timed_out),
        int(job.oom),
        len(job.logs),
        ingestion,
    )


def _stored_completeness(
    conn: sqlite3.Connection, runs: Iterable[str]
) -> dict[tuple[str, int], bool]:
    found: dict[tuple[str, int], bool] = {}
    for run in runs:
        for row in conn.execute("SELECT job, complete FROM jobs WHERE run_id = ?", (run,)):
            found[(run, int(row[0]))] = bool(row[1])
    return found


def store_reproducers(
    conn: sqlite3.Connection,
    clusters: Sequence[Cluster],
    job_of_log: Mapping[str, Job],
    now: str,
) -> None:
    """Record the (target, profile, input) of every job whose logs showed a finding."""
    if not job_of_log:  # no log comes from a job of runs.jsonl
        return
    rows: set[tuple[str, str, str, str, str | None]] = set()
    for c in clusters:
        for log in c.finding.logs():
            job = job_of_log.get(log)
            if job is not None:
                sha = job.input_sha256 or NO_INPUT
                rows.add((c.finding.id, job.target, job.profile, sha, job.input))
    conn.executemany(
        "INSERT OR IGNORE INTO reproducers (finding_id, target, profile, input_sha256, input,"
        " first_time) VALUES (?, ?, ?, ?, ?, ?)",
        [(*row, now) for row in sorted(rows, key=repr)],
    )


def affected_by(conn: sqlite3.Connection, jobs: Sequence[Job]) -> set[str]:
    """Findings one of whose reproducers these jobs executed."""
    triples = {(job.target, job.profile, job.input_sha256 or NO_INPUT) for job in jobs}
    found: set[str] = set()
    for triple in triples:
        found.update(
            row[0]
            for row in conn.execute(
                "SELECT finding_id FROM reproducers WHERE target = ? AND profile = ?"
                " AND input_sha256 = ?",
                triple,
            )
        )
    return found


def reproducers(conn: sqlite3.Connection, finding: str) -> tuple[Reproducer, ...]:
    return tuple(
        Reproducer(r[0], r[1], r[2], r[3])
        for r in conn.execute(
            "SELECT target, profile, input_sha256, input FROM reproducers WHERE finding_id = ?"
            " ORDER BY first_time, target, profile, input_sha256",
            (finding,),
        )
    )


_CLEAN_QUERY = """
SELECT j.commit_sha, r.started, i.started FROM jobs j
JOIN reproducers p ON p.target = j.target AND p.profile = j.profile
    AND p.input_sha256 = j.input_sha256 AND p.finding_id = :finding
JOIN runs r ON r.id = j.run_id
JOIN runs i ON i.id = j.ingestion
WHERE j.complete = 1 AND j.timed_out = 0 AND j.oom = 0 AND j.signal IS NULL
    AND j.commit_sha IS NOT NULL AND j.dirty = 0
    AND NOT EXISTS (
        SELECT 1 FROM logs l JOIN reports x ON x.log_key = l.key
        WHERE l.run_id = j.run_id AND l.job = j.job AND x.finding_id = :finding)
"""


def clean_runs(conn: sqlite3.Connection, finding: str, after: str | None) -> list[Clean]:
    """Executions of the finding's reproducers that ran to the end without it,
    later than `after` (a time key)."""
    found = [
        Clean(time_key(run_started, ingested), commit)
        for commit, run_started, ingested in conn.execute(_CLEAN_QUERY, {"finding": finding})
    ]
    return [c for c in found if after is None or c.time > after]


def clean_commits(conn: sqlite3.Connection, finding: str) -> list[tuple[str, str]]:
    """(time key, commit) of every clean execution of the finding's reproducers,
    oldest first, at commits where it was never seen."""
    seen = {
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT l.commit_sha FROM reports r JOIN logs l ON l.key = r.log_key"
            " WHERE r.finding_id = ?",
            (finding,),
        )
    }
    cleans = clean_runs(conn, finding, None)
    return sorted((c.time, c.commit) for c in cleans if c.commit not in seen)
