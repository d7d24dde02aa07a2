"""The ledger's unfreed groups as leak reports in the findings store.

ltrace and jemalloc cannot tell a leaked block from one still reachable, so
their reports say `details["leak"] = "unfreed"`: the signature keys leaks by
that value, so an "unfreed" finding is its own finding (titled `leak
(unfreed) in f ‹ g`), never merged with LSan's direct or indirect one, which
claims more. Only groups allocated in the program's own code are stored: the
C library's buffers still allocated at exit are not bugs. An ltrace report's
stack is the immediate call site (and the functions it was inlined into);
jemalloc's is the whole allocation stack. LSan's own reports go in as parsed.

The ingestion is the pipeline's: one log entry per ledger log, keyed as a
triage of the run folder would key it, so triaging logs/ later adds nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from harness import vcs
from harness.ledger.model import LSAN, Group, Ledger
from harness.ledger.run import LedgerResult
from harness.model import Report, Source, Stack
from harness.store import Ingestion, LogEntry, RunRow, Store, StoredFinding, utc_now
from harness.store.light import rules_key
from harness.triage.cluster import cluster
from harness.triage.names import normalize_function

UNFREED = "unfreed"


@dataclass(frozen=True, slots=True)
class Stored:
    statuses: dict[str, str]  # finding id → status
    by_group: tuple[str | None, ...]  # each ledger group's finding id (None: not stored)


def reports_of(ledger: Ledger, pid: int | None = None) -> tuple[Report | None, ...]:
    """One leak report per group (None for a library's group), in group order."""
    return tuple(_report(ledger, group, pid) if group.own else None for group in ledger.groups)


def _report(ledger: Ledger, group: Group, pid: int | None) -> Report:
    frames = tuple(replace(frame, index=index) for index, frame in enumerate(group.frames))
    headline = (
        f"{ledger.method}: {group.bytes} byte(s) in {group.count} block(s) still allocated "
        f"at exit, allocated by {group.allocator} at {group.location}"
    )
    return Report(
        tool=ledger.method,
        kind="leak",
        source=Source(ledger.log, group.offset, 0, pid),
        headline=headline,
        stacks=(Stack("alloc", frames),),
        details={"leak": UNFREED, "bytes": group.bytes, "objects": group.count},
    )


def ingest(
    store: Store, result: LedgerResult, root: Path, ignore: Sequence[str] = (), depth: int = 3
) -> Stored:
    """Store the ledger's leaks as one ingestion; returns their statuses."""
    ledger, job = result.ledger, result.job
    made = reports_of(ledger) if ledger.method != LSAN else ()
    reports = list(result.reports) if ledger.method == LSAN else [r for r in made if r]
    clusters = cluster(reports, ignore, depth)
    finding_of = {
        (report.source.log, report.source.offset): c.finding.id
        for c in clusters
        for report in c.finding.reports
    }
    if ledger.method == LSAN:
        per_group = [finding_of.get((ledger.log, group.offset)) for group in ledger.groups]
    else:
        per_group = [
            finding_of.get((r.source.log, r.source.offset)) if r is not None else None for r in made
        ]
    commit = vcs.current_commit(root)
    run = RunRow(_ingestion_id(), "ledger", commit.sha, commit.branch, commit.dirty, utc_now())
    job_run = RunRow(
        job.run_id, "run", job.commit, None, job.dirty, utc_now(), job.profile, job.compiler
    )
    logs = _entries(reports, result, root)
    outcome = store.ingest(Ingestion(run, logs, clusters, (job_run,)), rules_key(ignore, depth))
    return Stored(outcome.statuses, tuple(per_group))


def _entries(reports: Sequence[Report], result: LedgerResult, root: Path) -> tuple[LogEntry, ...]:
    job = result.job
    by_log: dict[str, list[Report]] = {}
    for report in reports:
        by_log.setdefault(report.source.log, []).append(report)
    entries = []
    for shown, members in sorted(by_log.items()):
        path = root / shown
        relpath = path.resolve().relative_to(result.run_dir.resolve()).as_posix()
        entries.append(
            LogEntry(
                key=f"run:{job.run_id}/job:{job.job}/{relpath}",
                shown=shown,
                path=str(path.resolve()),
                size=path.stat().st_size,
                commit=job.commit,
                dirty=job.dirty,
                run_id=job.run_id,
                job=job.job,
                input=job.input,
                reports=tuple(members),
            )
        )
    return tuple(entries)


def same_site(group: Group, findings: Sequence[StoredFinding]) -> str | None:
    """A stored sanitizer leak finding allocated in this group's function: ltrace
    sees only the call site, so it is shown beside the finding that allocates
    at the same place. Of several, the one allocated at the same line, then of
    the same kind of leak (an unfreed block is likelier a direct leak), then
    sharing more of the stack, wins."""
    if group.function is None:
        return None
    key = normalize_function(group.function)
    candidates = [
        finding
        for finding in findings
        if finding.kind == "leak"
        and UNFREED not in (finding.title or "")
        and finding.frames[:1]
        and finding.frames[0].key == key
    ]
    if not candidates:
        return None
    wanted = f"leak ({group.leak or 'direct'})"
    site = group.site

    def rank(finding: StoredFinding) -> tuple[bool, bool, int]:
        top = finding.frames[0]
        same_line = site is not None and top.line is not None and top.line == site.line
        return (same_line, (finding.title or "").startswith(wanted), _shared(group, finding))

    return max(candidates, key=rank).id


def _shared(group: Group, finding: StoredFinding) -> int:
    """How many frames from the top the group's stack and the finding's share."""
    count = 0
    for frame, known in zip(group.frames, finding.frames, strict=False):
        if frame.function is None or normalize_function(frame.function) != known.key:
            break
        count += 1
    return count


def _ingestion_id() -> str:
    return "ledger-" + datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
