"""`harness nightly` as a library call: build, run, triage, compare, report, mail.

    result = run_nightly(open_project("."), dry_run=True)

For each profile of [nightly] it builds the targets, runs every input and the
reproducers of the open findings, and triages the new run folders into the
store. It then compares the status of every finding with the last nightly on
the same branch, writes reports/nightly-<date>-<sha7>.{md,html,json,sarif,xml},
and mails the night when [email] is set and something changed. A build that
fails is recorded and shown in the reports and the mail; the other profiles
still run.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from harness import lifecycle, vcs
from harness.config import Config
from harness.errors import EXIT_FAILED, EXIT_FINDINGS, EXIT_OK, NotBuiltError, ToolError
from harness.model import Commit
from harness.project import Project
from harness.render.view import Problem
from harness.report import ReportData, ReportFormat, collect, write_reports
from harness.store import Store, open_store, utc_now
from harness.store.nightlies import NightlyRecord

NEW, REGRESSED, FIXED, OPEN = "new", "regressed", "fixed", "open"
CHANGES = (NEW, REGRESSED, FIXED, OPEN)
# Lines of the compiler's output a failed build shows
TAIL_LINES = 40

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Failure:
    """A step the night could not do: `build` or `run` of a profile, or `mail`."""

    step: str
    profile: str | None
    message: str
    detail: str = ""

    @property
    def title(self) -> str:
        where = f" (profile {self.profile})" if self.profile else ""
        return f"{self.step.capitalize()} failed{where}"

    @property
    def text(self) -> str:
        """The message, then the tool's own output."""
        return "\n\n".join(part for part in (self.message, self.detail) if part)

    def as_json(self) -> dict[str, str | None]:
        return {"step": self.step, "profile": self.profile, "message": self.message}


@dataclass(frozen=True, slots=True)
class NightlyResult:
    """What one night did and found. `changes` maps finding id → new, regressed,
    fixed or open (still open); `counts` has those four and `muted`."""

    commit: Commit
    changes: dict[str, str]
    counts: dict[str, int]
    failures: tuple[Failure, ...]
    runs: tuple[Path, ...]
    reports: tuple[Path, ...]
    mail: str
    eml: Path | None
    exit_code: int
    baseline: NightlyRecord | None

    @property
    def changed(self) -> bool:
        return any(self.counts[name] for name in (NEW, REGRESSED, FIXED))


def classify(now: Mapping[str, str], before: Mapping[str, str]) -> dict[str, str]:
    """Each finding's change since `before` (statuses shown then), from its status now.

    Muted findings are left out, and so are fixes older than `before`."""
    changes: dict[str, str] = {}
    for finding, status in now.items():
        prev = before.get(finding)
        if status == lifecycle.FIXED:
            if prev != lifecycle.FIXED:
                changes[finding] = FIXED
        elif status in lifecycle.ACTIVE:
            if prev == lifecycle.FIXED or (status == REGRESSED and prev != REGRESSED):
                changes[finding] = REGRESSED
            elif prev is None:
                changes[finding] = NEW
            else:
                changes[finding] = OPEN
    return changes


def count(changes: Mapping[str, str], now: Mapping[str, str]) -> dict[str, int]:
    """new, regressed and fixed since the baseline; open: every finding still open
    after the night, the new and regressed ones included; muted."""
    counts = {name: sum(1 for c in changes.values() if c == name) for name in CHANGES}
    counts[OPEN] = sum(1 for c in changes.values() if c != FIXED)
    counts["muted"] = sum(1 for status in now.values() if status == lifecycle.MUTED)
    return counts


def exit_code(
    counts: Mapping[str, int], fail_on: Sequence[str], failures: Sequence[Failure]
) -> int:
    """3 when a step failed (it wins), 1 when a gate of `fail_on` has findings, else 0."""
    if failures:
        return EXIT_FAILED
    return EXIT_FINDINGS if any(counts.get(gate, 0) for gate in fail_on) else EXIT_OK


def run_nightly(
    project: Project,
    *,
    dry_run: bool = False,
    no_mail: bool = False,
    env: Mapping[str, str] | None = None,
    jobs: int | None = None,
    say: Say = lambda line: None,
) -> NightlyResult:
    """One night. Raises ConfigError/UsageError for a wrong configuration; every
    failure of a build, a run or the mail is recorded in the result (exit 3)."""
    from harness import nightly_mail

    config = project.require_config()
    mode = nightly_mail.Mode(dry_run=dry_run, no_mail=no_mail)
    environ = os.environ if env is None else env
    nightly_mail.check(config.email, mode, environ)
    commit = vcs.current_commit(project.root)
    started = utc_now()
    stamp = datetime.now().strftime("%Y-%m-%d")
    failures: list[Failure] = []
    with open_store(project.db) as store:
        before_night = store.statuses()
        runs = _build_and_run(project, config, store, failures, jobs, say)
        if runs:
            _triage(project, config, store, runs, say)
        baseline = store.nightly_baseline(commit.branch)
        now = store.statuses()
        changes = classify(now, baseline.statuses if baseline else before_night)
        counts = count(changes, now)
        data = _report_data(store, project, config, commit, changes, counts, failures, baseline)
        stem = file_stem(stamp, commit)
        reports = write_reports(data, ReportFormat.all(), project.reports_dir, stem)
        say(f"reports: {', '.join(str(p) for p in reports)}")
        outcome = nightly_mail.deliver(
            store,
            project,
            data,
            commit=commit,
            counts=counts,
            failures=failures,
            report=project.reports_dir / f"{stem}.html",
            mode=mode,
            env=environ,
        )
        if outcome.failure is not None:
            failures.append(outcome.failure)
        store.record_nightly(
            NightlyRecord(
                id=f"nightly-{started[:19].replace(':', '')}-{secrets.token_hex(3)}",
                branch=commit.branch,
                commit=commit.sha,
                dirty=commit.dirty,
                started=started,
                finished=utc_now(),
                statuses=now,
                counts=counts,
                failures=tuple(f.as_json() for f in failures),
                mail=outcome.state,
            )
        )
    return NightlyResult(
        commit=commit,
        changes=changes,
        counts=counts,
        failures=tuple(failures),
        runs=tuple(runs),
        reports=reports,
        mail=outcome.state,
        eml=outcome.eml,
        exit_code=exit_code(counts, config.nightly.fail_on, failures),
        baseline=baseline,
    )


def _build_and_run(
    project: Project,
    config: Config,
    store: Store,
    failures: list[Failure],
    jobs: int | None,
    say: Say,
) -> list[Path]:
    """Every profile in turn; a failed build or run is recorded and the next goes on."""
    from harness import build

    runs: list[Path] = []
    builds = any(target.built_by_harness for target in config.targets)
    for profile in config.nightly.profiles:
        cc = config.nightly.cc
        if builds:
            say(f"build: profile {profile}")
            try:
                cc = build.build_targets(project, profile, cc, jobs).compiler.cc
            except ToolError as error:  # BuildError included: the compiler's message
                failures.append(Failure("build", profile, str(error), _tail(error.stderr)))
                say(f"build failed: profile {profile}: {error}")
                continue
        try:
            runs += _run_profile(project, store, profile, cc, jobs, say)
        except (ToolError, NotBuiltError) as error:
            failures.append(
                Failure("run", profile, str(error), _tail(getattr(error, "stderr", "")))
            )
            say(f"run failed: profile {profile}: {error}")
    return runs


def _run_profile(
    project: Project, store: Store, profile: str, cc: str | None, jobs: int | None, say: Say
) -> list[Path]:
    """All inputs, then the stored reproducers of the open findings (to verify fixes)."""
    from harness import reproducers, runner
    from harness.run_plan import plan

    chosen = plan(project, profile=profile, cc=cc)
    done = runner.run_jobs(project, chosen, jobs=jobs)
    say(f"run: profile {profile}: {len(done.jobs)} jobs in {done.run_dir}")
    folders = [done.run_dir]
    selection = reproducers.select(store, project.root, profile)
    for why in selection.skipped:
        say(f"warning: {why}")
    if selection.chosen:
        again = reproducers.plan(project, selection.chosen, profile=profile, cc=chosen.cc)
        done = runner.run_jobs(project, again, jobs=jobs)
        say(f"run: reproducers of open findings: {len(done.jobs)} jobs in {done.run_dir}")
        folders.append(done.run_dir)
    return folders


def _triage(project: Project, config: Config, store: Store, runs: Sequence[Path], say: Say) -> None:
    from harness.pipeline import project_settings, triage

    symbolize, suppressions = project_settings(config, project.state_dir)
    result = triage(
        [str(folder) for folder in runs],
        store=store,
        root=project.root,
        ignore=config.ignore_frames,
        symbolize=symbolize,
        suppressions=suppressions,
    )
    say(f"triage: {result.stats.reports} reports, {result.stats.findings} findings")


def _tail(text: str) -> str:
    lines = text.rstrip().splitlines()
    return "\n".join(lines[-TAIL_LINES:])


def summary_line(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{counts.get(name, 0)} {name}" for name in CHANGES)


def checkout_label(commit: Commit) -> str:
    """What the night ran on: `branch@sha7`, `detached@sha7` on a detached HEAD,
    `no commit` outside a git repository or before its first commit."""
    if not commit.sha:
        return "no commit"
    return f"{commit.branch or 'detached'}@{commit.sha[:7]}"


def file_stem(stamp: str, commit: Commit) -> str:
    """`nightly-<date>-<sha7>` (`-nocommit` with no commit checked out)."""
    return f"nightly-{stamp}-{commit.sha[:7] if commit.sha else 'nocommit'}"


def _report_data(
    store: Store,
    project: Project,
    config: Config,
    commit: Commit,
    changes: Mapping[str, str],
    counts: Mapping[str, int],
    failures: Sequence[Failure],
    baseline: NightlyRecord | None,
) -> ReportData:
    data = collect(
        store,
        root=project.root,
        project=config.name,
        commit=commit.sha,
        select=lambda finding: changes.get(finding.id),
    )
    nightly = {
        "branch": commit.branch,
        "counts": dict(counts),
        "failures": [f.as_json() for f in failures],
        "baseline": {"commit": baseline.commit, "finished": baseline.finished}
        if baseline
        else None,
    }
    return replace(
        data,
        summary=summary_line(counts),
        problems=tuple(Problem(f.title, f.text) for f in failures),
        extra={"nightly": nightly},
    )
