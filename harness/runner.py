"""`harness run` as a library: execute a Plan's jobs in parallel into logs/<run-id>/.

    result = runner.run_jobs(project, run_plan.plan(project, ["heap_overflow"]), jobs=4)

Layout (contract): logs/<run-id>/runs.jsonl plus one folder per job,
job-0017/, holding the child's stdout, stderr and sanitizer logs (one per
pid). Each finished job's line is appended to runs.jsonl at once, in one
write, so an interrupted or crashed run keeps every job that finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from harness import jobs as jobs_module
from harness import launch, proc, run_modes, vcs
from harness.errors import ToolError
from harness.jobs import Children, Spawn
from harness.model import Commit, Job
from harness.project import Project
from harness.run_plan import Plan, PlannedJob, plan, relative

__all__ = ["DEFAULT_RSS_LIMIT_MB", "RunInterrupted", "RunResult", "plan", "run_jobs", "summarize"]

RUNS_FILE = "runs.jsonl"
DEFAULT_RSS_LIMIT_MB = 4096
SYMBOLIZER = "llvm-symbolizer"
STREAMS = ("stdout", "stderr")


@dataclass(frozen=True, slots=True)
class RunResult:
    run_id: str
    run_dir: Path
    planned: int
    jobs: tuple[Job, ...]


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: `result` holds the jobs that finished (all in runs.jsonl)."""

    def __init__(self, result: RunResult):
        super().__init__(f"{len(result.jobs)} of {result.planned} jobs ran")
        self.result = result


@dataclass(frozen=True, slots=True)
class TargetSummary:
    target: str
    jobs: int
    failed: int
    timed_out: int
    with_logs: int


@dataclass(frozen=True, slots=True)
class _Context:
    """What every job of one run shares."""

    run_id: str
    run_dir: Path
    plan: Plan
    commit: Commit
    timeout: float | None
    rss_limit_mb: int | None
    symbolizer: str | None
    environ: Mapping[str, str]


Progress = Callable[[int, int, Job], None]


def run_jobs(
    project: Project,
    plan: Plan,
    *,
    jobs: int | None = None,
    timeout: float | None = None,
    rss_limit_mb: int | None = DEFAULT_RSS_LIMIT_MB,
    progress: Progress | None = None,
) -> RunResult:
    """Run every planned job, `jobs` at a time (default: all cores).

    `timeout` overrides each target's own. Raises RunInterrupted on Ctrl-C,
    after killing the running children and recording what finished.
    """
    run_id, run_dir = new_run_dir(project.logs_dir)
    context = _Context(
        run_id=run_id,
        run_dir=run_dir,
        plan=plan,
        commit=vcs.current_commit(project.root),
        timeout=timeout,
        rss_limit_mb=rss_limit_mb,
        symbolizer=proc.which(SYMBOLIZER),
        environ=dict(os.environ),
    )
    children = Children()
    finished: list[Job] = []
    output = os.open(run_dir / RUNS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def record(job: Job, show: bool = True) -> None:
        append_line(output, job)
        finished.append(job)
        if progress and show:
            progress(len(finished), len(plan.jobs), job)

    pool = ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1))
    futures: list[Future[Job]] = []
    handled: set[Future[Job]] = set()
    try:
        futures.extend(pool.submit(_execute, context, children, job) for job in plan.jobs)
        for future in as_completed(futures):
            handled.add(future)
            record(future.result())
    except BaseException as exc:
        children.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        for future in futures:
            if future not in handled and _succeeded(future):
                record(future.result(), show=False)
        if isinstance(exc, KeyboardInterrupt):
            raise RunInterrupted(_result(context, finished)) from None
        raise
    finally:
        pool.shutdown(wait=True)
        os.close(output)
    return _result(context, finished)


def _succeeded(future: Future[Job]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def _result(context: _Context, finished: Sequence[Job]) -> RunResult:
    ordered = tuple(sorted(finished, key=lambda job: job.job))
    return RunResult(context.run_id, context.run_dir, len(context.plan.jobs), ordered)


def new_run_dir(logs_dir: Path) -> tuple[str, Path]:
    """A fresh logs/<run-id>/; ids are UTC time plus 4 random hex, so they sort by time."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    while True:
        run_id = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{secrets.token_hex(2)}"
        try:
            (logs_dir / run_id).mkdir()
        except FileExistsError:
            continue
        return run_id, logs_dir / run_id


def append_line(fd: int, job: Job) -> None:
    """One write per line on an O_APPEND file: a line is there whole or not at all."""
    line = (json.dumps(job.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
    written = os.write(fd, line)
    if written != len(line):
        raise ToolError(f"{RUNS_FILE}: short write ({written} of {len(line)} bytes); disk full?")


def _execute(context: _Context, children: Children, planned: PlannedJob) -> Job:
    """Run one planned job and describe it as a runs.jsonl line."""
    target = planned.target
    job_dir = context.run_dir / f"job-{planned.number:04d}"
    job_dir.mkdir()
    settings = launch.Settings(
        context.environ, context.timeout, context.rss_limit_mb, context.symbolizer
    )
    how = launch.prepare(context.plan, planned, job_dir, settings)
    spawn = Spawn(
        argv=how.argv,
        env=how.env,
        cwd=context.plan.root,
        job_dir=job_dir,
        stdin=planned.input if target.input == "stdin" else None,
        timeout=how.timeout,
        rss_limit_mb=context.rss_limit_mb,
        log_stem=how.log_stem,
    )
    outcome = jobs_module.run_one(spawn, children)
    root = context.plan.root
    return Job(
        run_id=context.run_id,
        job=planned.number,
        target=target.name,
        profile=context.plan.recorded_profile,
        compiler=context.plan.compiler,
        input=relative(planned.input, root) if planned.input else None,
        input_sha256=sha256_of(planned.input) if planned.input else None,
        repeat=planned.repeat,
        argv=launch.recorded_argv(how.argv, planned, root),
        exit_code=outcome.exit_code,
        signal=outcome.signal,
        timed_out=outcome.timed_out,
        oom=outcome.oom,
        seconds=outcome.seconds,
        max_rss_kb=outcome.max_rss_kb,
        logs=jobs_module.collected_logs(context.run_dir, job_dir),
        commit=context.commit.sha,
        dirty=context.commit.dirty,
    )


def sha256_of(path: Path) -> str:
    with open(path, "rb") as data:
        return hashlib.file_digest(data, "sha256").hexdigest()


def summarize(targets: Sequence[str], jobs: Sequence[Job]) -> tuple[TargetSummary, ...]:
    """Per target: jobs, failed (a non-zero exit, a sanitizer's error exit among
    them, or a signal; not timed out), timed out, and jobs that left a sanitizer log."""
    rows = []
    for name in targets:
        mine = [job for job in jobs if job.target == name]
        rows.append(
            TargetSummary(
                target=name,
                jobs=len(mine),
                failed=sum(1 for job in mine if failed(job)),
                timed_out=sum(1 for job in mine if job.timed_out),
                with_logs=sum(1 for job in mine if reported(job)),
            )
        )
    return tuple(rows)


def failed(job: Job) -> bool:
    return not job.timed_out and (job.signal is not None or bool(job.exit_code))


def reported(job: Job) -> bool:
    """Did the tool report something? memcheck writes its XML log on every run, so
    there its error exit code says it; a sanitizer writes a log only to report."""
    if job.profile == run_modes.MEMCHECK_PROFILE:
        return job.exit_code == run_modes.MEMCHECK_ERROR_EXIT
    return bool(sanitizer_logs(job))


def sanitizer_logs(job: Job) -> tuple[str, ...]:
    """The job's logs other than the child's stdout and stderr."""
    return tuple(log for log in job.logs if log.rsplit("/", 1)[-1] not in STREAMS)
