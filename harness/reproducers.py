"""Reproducers: the inputs whose execution showed a finding, kept and re-run.

At ingestion the input of every job that produced a report is copied,
content-addressed, to `.harness/reproducers/<sha256>`, so it outlives the
inputs folder. `harness run --reproducers` runs those copies for every
finding still open, which verifies fixes without the whole corpus; runs.jsonl
then names the copy (`.harness/reproducers/<sha256>`) and its hash.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import UsageError
from harness.model import Job
from harness.project import STATE_DIR, Project
from harness.store import LogEntry, Store
from harness.store.evidence import NO_INPUT, Reproducer

if TYPE_CHECKING:
    from harness.run_plan import Plan

FOLDER = "reproducers"
DEFAULT_REPEAT = 3


def stored_path(root: Path, sha256: str) -> Path:
    return root / STATE_DIR / FOLDER / sha256


def keep(
    root: Path,
    jobs: Sequence[Job],
    entries: Sequence[LogEntry],
    reporting_logs: Collection[str] = (),
) -> int:
    """Copy the inputs of the jobs whose logs hold reports; returns how many were new.

    `reporting_logs` names (by the path as given) logs that hold reports though
    their entry lists none (stored reports a triage did not read back).

    An input that changed since its run (its hash differs) is not kept: the
    copy must be what the run executed.
    """
    reporting = {
        (e.run_id, e.job)
        for e in entries
        if (e.reports or e.shown in reporting_logs) and e.run_id is not None
    }
    kept = 0
    for job in jobs:
        if (job.run_id, job.job) not in reporting or not job.input or not job.input_sha256:
            continue
        target = stored_path(root, job.input_sha256)
        source = Path(job.input) if os.path.isabs(job.input) else root / job.input
        if target.exists() or not source.is_file() or _sha256(source) != job.input_sha256:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        shutil.copyfile(source, partial)
        os.replace(partial, target)  # whole or not at all, with triages side by side
        kept += 1
    return kept


def _sha256(path: Path) -> str:
    with open(path, "rb") as data:
        return hashlib.file_digest(data, "sha256").hexdigest()


@dataclass(frozen=True, slots=True)
class Selection:
    """The reproducers `run --reproducers` will run, and those it leaves out and why."""

    chosen: tuple[Reproducer, ...]
    skipped: tuple[str, ...]


def select(store: Store, root: Path, profile: str, names: Sequence[str] = ()) -> Selection:
    """The distinct reproducers of the open findings for this profile (and
    these targets when named) whose stored copy exists."""
    chosen: dict[tuple[str, str], Reproducer] = {}
    skipped: list[str] = []
    for finding, rep in store.active_reproducers():
        if names and rep.target not in names:
            continue
        if rep.profile != profile:
            skipped.append(f"{finding}: reproducer for profile {rep.profile} (use --profile)")
            continue
        if rep.sha256 != NO_INPUT and not stored_path(root, rep.sha256).is_file():
            skipped.append(f"{finding}: no stored copy of {rep.input or rep.sha256}")
            continue
        chosen.setdefault((rep.target, rep.sha256), rep)
    return Selection(tuple(chosen.values()), tuple(dict.fromkeys(skipped)))


def plan(
    project: Project,
    reproducers: Sequence[Reproducer],
    *,
    profile: str,
    cc: str | None = None,
    repeat: int = DEFAULT_REPEAT,
    home: Path | None = None,
) -> Plan:
    """A run plan whose jobs are the stored reproducers, each `repeat` times.

    `home` is the root whose .harness/reproducers holds them (default: the
    project's own; a bisection builds elsewhere)."""
    # here, not at the top: triage imports this module and needs none of the runner
    from harness import run_plan
    from harness.run_plan import PlannedJob

    config = project.require_config()
    names = [
        name for name in dict.fromkeys(rep.target for rep in reproducers) if config.target(name)
    ]
    if not names:
        raise UsageError(f"{config.path}: none of the reproducers' targets is configured any more")
    base = run_plan.plan(project, names, profile=profile, cc=cc, repeat=1)
    build_dir = project.build_dir / f"{base.cc}-{base.profile.name}"
    jobs: list[PlannedJob] = []
    for rep in reproducers:
        target = config.target(rep.target)
        if target is None:
            continue
        binary = run_plan.binary_path(
            project.root, build_dir, target, base.interpreter(target.name)
        )
        source = None if rep.sha256 == NO_INPUT else stored_path(home or project.root, rep.sha256)
        for number in range(repeat):
            jobs.append(PlannedJob(len(jobs) + 1, target, binary, source, number))
    return replace(base, jobs=tuple(jobs))
