"""The triage pipeline as a library call: logs in, ranked findings out.

    result = triage(["logs/"], store=open_store(".harness/findings.db"), root=Path("."))

Files are expanded and linked to the jobs that wrote them; logs the store
already holds are not read again (a stat cache recognizes unchanged files
without opening them), the rest are parsed (in a process pool when many);
frames printed as module+offset are symbolized from the binaries at hand
(harness.symbolize); reports matching the project's suppression rules
(harness.suppress) are left out of the findings; every other report is
clustered by signature, and the store records the whole ingestion in one
transaction.

A suppressed report is still stored with its log (under its own finding id,
which gets no finding row and no lifecycle event): a later triage skips the
log as usual, and suppression is applied again to what the store holds, so
removing a rule brings its findings back without reading any log again.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from harness import claims, vcs
from harness.config import Config
from harness.model import Commit, Finding, Job, Leaked, Report, ReportRef, Unparsed
from harness.store import Ingestion, LogEntry, RunRow, Store, utc_now
from harness.store.light import rules_key
from harness.suppress import Rule, SuppressResult, load_rules, suppress
from harness.symbolize.settings import SymbolizeSettings
from harness.symbolize.wanted import is_unsymbolized
from harness.triage.cluster import Cluster, cluster_signed, sign, with_shown_frames
from harness.triage.intake import take_in, whole_representatives
from harness.triage.signature import DEFAULT_DEPTH, Signature, content_key, signature
from harness.triage.sources import STDIN, LogFile, discover
from harness.triage.stored import WholeReader, merge_stored

if TYPE_CHECKING:
    from harness.symbolize import Symbolizer

GATING = ("new", "regressed")
# Symbolize frames whose binary is at the path the log names; no cache, no path map.
DEFAULT_SYMBOLIZE = SymbolizeSettings()


@dataclass(frozen=True, slots=True)
class Stats:
    logs: int
    reports: int
    findings: int
    bytes: int
    seconds: float
    suppressed: int = 0  # reports (counted in `reports`) left out by suppression rules


class LogInfo(NamedTuple):
    """Where a log came from: the job and input that produced it, and its commit.
    (A NamedTuple, like LogEntry: one per log.)"""

    shown: str
    key: str
    input: str | None
    run_id: str | None
    job: int | None
    commit: str | None


@dataclass(frozen=True, slots=True)
class TriageResult:
    findings: tuple[Finding, ...]
    unparsed: tuple[Unparsed, ...]
    stats: Stats
    commit: Commit
    logs: dict[str, LogInfo]
    bugs: dict[str, str]
    stored: bool
    root: str = ""
    # finding → a commit whose message claims it fixed, though it still reproduces
    claims: dict[str, str] = field(default_factory=dict)
    # finding → the commit the store first saw it at (empty without a store)
    first_seen: dict[str, str | None] = field(default_factory=dict)
    # findings whose first report still has frames with only module+offset
    unsymbolized: frozenset[str] = frozenset()
    # what kept frames unsymbolized (binary not found, build-id mismatch, ...)
    symbolize_notes: tuple[str, ...] = ()
    # one line per suppression rule that hid reports; rules that hide too much
    suppressed: tuple[str, ...] = ()
    suppression_warnings: tuple[str, ...] = ()

    def gating(self) -> tuple[Finding, ...]:
        """Findings that make `--fail-on new` fail: new or regressed. Without a
        store nothing has been seen before, so every finding counts as new."""
        if not self.stored:
            return self.findings
        return tuple(f for f in self.findings if f.status in GATING)

    def input_of(self, report: Report) -> str | None:
        info = self.logs.get(report.source.log)
        return info.input if info else None


def project_settings(
    config: Config | None, state_dir: Path | None
) -> tuple[SymbolizeSettings, tuple[Rule, ...]]:
    """What harness.toml says about symbolizing and suppressing, for triage():
    the [symbolize] settings (symbol cache in `state_dir` unless None) and
    the rules of [triage] suppressions. Raises ConfigError on a bad rule."""
    rules: tuple[Rule, ...] = ()
    if config is not None and config.suppressions is not None:
        rules = load_rules(config.root / config.suppressions)
    return SymbolizeSettings.from_config(config, state_dir), rules


def triage(
    paths: Sequence[str | Path],
    *,
    store: Store | None = None,
    root: Path | None = None,
    ignore: Sequence[str] = (),
    depth: int = DEFAULT_DEPTH,
    stdin: bytes | None = None,
    workers: int = 2,
    cwd: Path | None = None,
    symbolize: SymbolizeSettings | None = DEFAULT_SYMBOLIZE,
    suppressions: Sequence[Rule] = (),
) -> TriageResult:
    """Triage logs (files, folders, or `-` with `stdin` holding the data).

    Relative paths are taken from `cwd` (default: the current folder).
    `symbolize` None leaves module+offset frames as printed; the default
    symbolizes them when the binary is at the path the log names.
    Reports matching `suppressions` are left out of the findings.
    """
    settings = replace(symbolize, ignore=tuple(ignore)) if symbolize is not None else None
    opts = _Options(workers, tuple(ignore), depth, settings, tuple(suppressions))
    with _gc_paused():
        return _triage(paths, store, root, opts, stdin, cwd)


def _triage(
    paths: Sequence[str | Path],
    store: Store | None,
    root: Path | None,
    opts: _Options,
    stdin: bytes | None,
    cwd: Path | None,
) -> TriageResult:
    started = time.perf_counter()
    commit = vcs.current_commit(root or Path.cwd())
    if store is not None:
        store.rekey_outdated(opts.ignore, opts.depth)
    found = discover(paths, cwd)
    loaded = _load(found.files, store, commit, opts)
    given_stdin = stdin if STDIN in [str(p) for p in paths] else None
    # The parent's own symbolizer: for stdin, and for the reports shown first
    # of logs parsed now, read again whole (it starts a process only for frames
    # still unnamed). A triage that reads nothing needs none.
    reads = given_stdin is not None or bool(loaded.parsed)
    with _symbolizer(opts.symbolize if reads else None) as symbolizer:
        if given_stdin is not None:
            _add_stdin(loaded, given_stdin, commit, opts, symbolizer)
        screened = suppress(loaded.signed, opts.suppressions)
        clusters = cluster_signed(screened.kept)
        clusters = whole_representatives(clusters, loaded.parsed, symbolizer)
    clusters = _whole_stored(clusters, store, loaded.stored)
    clusters = with_shown_frames(clusters, opts.ignore, opts.depth)
    if store is not None and loaded.refs:
        clusters = merge_stored(
            clusters,
            loaded.refs,
            _whole_reader(store, loaded.stored),
            opts.ignore,
            opts.depth,
            loaded.leaks,
        )
    notes = (*loaded.notes, *(symbolizer.notes if symbolizer else ()))
    statuses: dict[str, str] = {}
    claimed: dict[str, str] = {}
    first_seen: dict[str, str | None] = {}
    if store is not None:
        run = RunRow(_ingestion_id(), "triage", commit.sha, commit.branch, commit.dirty, utc_now())
        ingestion = Ingestion(
            run,
            tuple(loaded.entries),
            clusters,
            _run_rows(found.jobs),
            loaded.stacks,
            found.jobs,
            hidden=_hidden(loaded.signed, screened),
        )
        claims.scan(store, root or Path.cwd(), commit.sha)
        outcome = store.ingest(ingestion, rules_key(opts.ignore, opts.depth))
        statuses = outcome.statuses
        if found.jobs:  # only the inputs of jobs named in runs.jsonl are kept
            from harness import reproducers

            reporting = {ref.log for refs in loaded.refs.values() for ref in refs}
            reproducers.keep(root or Path.cwd(), found.jobs, loaded.entries, reporting)
        claimed = claims.contradicted(store, root or Path.cwd(), outcome.seen)
        first_seen = store.first_commits(c.finding.id for c in clusters)
    findings = tuple(replace(c.finding, status=statuses.get(c.finding.id)) for c in clusters)
    stats = Stats(
        logs=len(loaded.entries),
        reports=len(loaded.signed) + sum(map(len, loaded.refs.values())),
        findings=len(findings),
        bytes=loaded.bytes,
        seconds=round(time.perf_counter() - started, 3),
        suppressed=screened.suppressed,
    )
    return TriageResult(
        findings=findings,
        unparsed=tuple(found.unparsed) + tuple(loaded.unparsed),
        stats=stats,
        commit=_result_commit(loaded.entries, commit),
        logs={e.shown: _info(e) for e in loaded.entries},
        bugs={c.finding.id: c.bug_key for c in clusters},
        stored=store is not None,
        root=str(root or Path.cwd()),
        claims=claimed,
        first_seen=first_seen,
        unsymbolized=frozenset(
            c.finding.id for c in clusters if is_unsymbolized(c.finding.reports[0], opts.ignore)
        ),
        symbolize_notes=tuple(dict.fromkeys(notes)),
        suppressed=screened.summary(),
        suppression_warnings=screened.warnings(),
    )


def _symbolizer(settings: SymbolizeSettings | None) -> AbstractContextManager[Symbolizer | None]:
    return settings.open() if settings is not None else nullcontext()


def _hidden(
    signed: Sequence[tuple[Report, Signature]], screened: SuppressResult
) -> dict[tuple[str, int], str]:
    """(log, offset) → finding id of each suppressed report: stored, but with no finding."""
    kept = {id(report) for report, _ in screened.kept}
    return {(r.source.log, r.source.offset): sig.id for r, sig in signed if id(r) not in kept}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A triage makes a few objects per report and frees almost none before it
    ends: the cyclic collector would walk them all again and again for nothing.

    Afterwards they are moved to the permanent generation (gc.freeze): the
    result keeps them alive and they form no cycles, so the collections that
    rendering the result triggers need not walk them either.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class _Options:
    workers: int
    ignore: tuple[str, ...]
    depth: int
    symbolize: SymbolizeSettings | None = None
    suppressions: tuple[Rule, ...] = ()


@dataclass(slots=True)
class _Loaded:
    entries: list[LogEntry] = field(default_factory=list)
    unparsed: list[Unparsed] = field(default_factory=list)
    bytes: int = 0
    signed: list[tuple[Report, Signature]] = field(default_factory=list)
    stacks: dict[str, str] = field(default_factory=dict)  # hash → stacks JSON
    parsed: dict[str, str] = field(default_factory=dict)  # shown → path, logs parsed now
    stored: dict[str, str] = field(default_factory=dict)  # shown → key, logs read from the store
    # finding id → its stored reports by place, when the stored ids hold (see _load)
    refs: dict[str, list[ReportRef]] = field(default_factory=dict)
    leaks: dict[str, Leaked] = field(default_factory=dict)  # what those leaked, per finding id
    notes: tuple[str, ...] = ()  # the workers' symbolizer notes


def _load(files: Sequence[LogFile], store: Store | None, commit: Commit, opts: _Options) -> _Loaded:
    """Stored logs come from the store; the others are read and parsed."""
    stats = {f.shown: _stat(f.path) for f in files}
    known = _known_keys(files, stats, store)
    by_log: dict[str, list[Report]] = {}
    loaded = _Loaded()
    if store is not None and known:
        loaded.stored = {shown: key for shown, (key, _) in known.items()}
        if _ids_hold(store, opts):
            # Stored finding ids hold under these rules: stored reports stay places.
            places = {
                known[f.shown][0]: (f.shown, f.job.input if f.job else None)
                for f in files
                if f.shown in known
            }
            loaded.refs = store.stored_refs(places)
            loaded.leaks = store.stored_leaks(places)
        else:
            shown_by_key = {key: shown for shown, (key, _) in known.items()}
            loaded.signed = _stored_signed(store, shown_by_key, by_log, opts)
    to_parse = [(f.path, f.shown) for f in files if f.shown not in known]
    intake = take_in(to_parse, opts.workers, opts.ignore, opts.depth, opts.symbolize)
    loaded.signed.extend(intake.signed)
    loaded.stacks = intake.stacks
    loaded.notes = tuple(intake.notes)
    for f in files:
        stat = stats[f.shown]
        if f.shown in known:
            key, cached = known[f.shown]
            size = stat[0] if stat else 0
            reports = tuple(by_log.get(f.shown, ()))
            loaded.entries.append(_entry(f, key, size, reports, stat, commit, cached))
            loaded.bytes += size
            continue
        d, reports = intake.logs[f.shown]
        if d.error is not None or d.sha256 is None:
            loaded.unparsed.append(Unparsed(f.shown, 0, d.error or "cannot read"))
            continue
        key = f.run_key or f"sha256:{d.sha256}"
        hashes = tuple(row[11] for row in d.rows)
        loaded.entries.append(_entry(f, key, d.size, reports, stat, commit, hashes=hashes))
        loaded.unparsed.extend(d.unparsed)
        loaded.bytes += d.size
        loaded.parsed[f.shown] = f.path
    return loaded


def _ids_hold(store: Store, opts: _Options) -> bool:
    """Whether stored reports can keep their stored finding ids: every one was
    signed under the rules of this triage, and no suppression rule must read
    their stacks (suppressed reports are stored under ids no finding shows)."""
    return not opts.suppressions and store.rules_hold(rules_key(opts.ignore, opts.depth))


def _whole_reader(store: Store, stored: dict[str, str]) -> WholeReader:
    """Reads a stored report back whole, given its finding id and place (shown → key)."""
    return lambda finding, ref: store.whole_at(stored[ref.log], finding, ref)


def _stored_signed(
    store: Store, shown_by_key: dict[str, str], by_log: dict[str, list[Report]], opts: _Options
) -> list[tuple[Report, Signature]]:
    """The stored reports of known logs with their signatures under the current
    rules: computed once per group of reports a signature cannot tell apart.
    With suppression rules, each report gets its group's stacks (shared)."""
    signed: list[tuple[Report, Signature]] = []
    memo: dict[tuple[object, ...], Signature] = {}
    for group in store.stored_groups(shown_by_key):
        key = content_key(group.sample)
        sig = memo.get(key)
        if sig is None:
            sig = memo[key] = signature(group.sample, opts.ignore, opts.depth)
        reports = group.reports
        if opts.suppressions:
            # Stored reports are read without stacks; suppression rules read them.
            reports = [replace(report, stacks=group.sample.stacks) for report in reports]
        signed.extend([(report, sig) for report in reports])
        for report in reports:
            by_log.setdefault(report.source.log, []).append(report)
    return signed


def _whole_stored(
    clusters: tuple[Cluster, ...], store: Store | None, stored: dict[str, str]
) -> tuple[Cluster, ...]:
    """The report each finding shows first, read again whole from the store when
    its log (shown → key in `stored`) was known: stored reports are read light."""
    if store is None or not stored:
        return clusters
    out = []
    for c in clusters:
        first = c.finding.reports[0]
        key = stored.get(first.source.log)
        whole = store.whole_report(key, first) if key is not None else None
        if whole is not None:
            c = replace(c, finding=replace(c.finding, reports=(whole, *c.finding.reports[1:])))
        out.append(c)
    return tuple(out)


def _known_keys(
    files: Sequence[LogFile], stats: dict[str, tuple[int, int] | None], store: Store | None
) -> dict[str, tuple[str, bool]]:
    """shown path → (key, stat cache up to date), for logs the store already holds.

    A log named by a runs.jsonl is known by its key alone; any other log is
    known when its path, size and mtime match what the stat cache recorded.
    """
    if store is None:
        return {}
    cache = store.stat_cache()
    candidates: dict[str, tuple[str, bool]] = {}
    for f in files:
        cached = cache.get(f.path)
        stat = stats[f.shown]
        fresh = cached is not None and stat is not None and cached[:2] == stat
        if f.run_key:
            same = fresh and cached is not None and cached[2] == f.run_key
            candidates[f.shown] = (f.run_key, same)
        elif fresh and cached is not None:
            candidates[f.shown] = (cached[2], True)
    # The stat cache only names stored logs: only the other keys need a look-up.
    present = store.existing_keys({key for key, cached in candidates.values() if not cached})
    return {shown: value for shown, value in candidates.items() if value[1] or value[0] in present}


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def _entry(
    f: LogFile,
    key: str,
    size: int,
    reports: tuple[Report, ...],
    stat: tuple[int, int] | None,
    commit: Commit,
    cached: bool = False,
    hashes: tuple[str, ...] | None = None,
) -> LogEntry:
    job = f.job
    # in LogEntry's field order: keywords would double the cost of an entry,
    # and a triage builds one per log
    if job is None:
        return LogEntry(
            key, f.shown, f.path, size, commit.sha, commit.dirty, None, None, None,
            reports, stat, cached, hashes,
        )  # fmt: skip
    return LogEntry(
        key, f.shown, f.path, size, job.commit, job.dirty, job.run_id, job.job, job.input,
        reports, stat, cached, hashes,
    )  # fmt: skip


def _add_stdin(
    loaded: _Loaded, data: bytes, commit: Commit, opts: _Options, symbolizer: Symbolizer | None
) -> None:
    from harness.triage.parallel import parse_data, symbolized  # see intake.take_in

    p = symbolized(parse_data(data, STDIN), symbolizer)
    key = f"sha256:{p.sha256}"
    loaded.entries.append(
        LogEntry(key, STDIN, STDIN, p.size, commit.sha, commit.dirty, reports=p.result.reports)
    )
    loaded.signed.extend(sign(p.result.reports, opts.ignore, opts.depth))
    loaded.unparsed.extend(p.result.unparsed)
    loaded.bytes += p.size


def _result_commit(entries: Sequence[LogEntry], checkout: Commit) -> Commit:
    """The commit the run recorded when every log comes from runs made on one
    commit; otherwise the checkout's."""
    recorded = {(e.commit, e.dirty) for e in entries if e.run_id is not None}
    if entries and len(recorded) == 1 and all(e.run_id is not None for e in entries):
        sha, dirty = recorded.pop()
        return Commit(sha, None, dirty)
    return checkout


def _info(entry: LogEntry) -> LogInfo:
    return LogInfo(entry.shown, entry.key, entry.input, entry.run_id, entry.job, entry.commit)


def _ingestion_id() -> str:
    return "triage-" + datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + os.urandom(3).hex()


def _run_rows(jobs: Sequence[Job]) -> tuple[RunRow, ...]:
    runs: dict[str, RunRow] = {}
    for job in sorted(jobs, key=lambda j: (j.run_id, j.job)):
        if job.run_id not in runs:
            runs[job.run_id] = RunRow(
                id=job.run_id,
                kind="run",
                commit=job.commit,
                branch=None,
                dirty=job.dirty,
                started=_run_started(job.run_id),
                profile=job.profile,
                compiler=job.compiler,
            )
    return tuple(runs.values())


def _run_started(run_id: str) -> str:
    """Run ids begin with their UTC start time (20261125T053000Z-3f9a)."""
    try:
        return datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return utc_now()


__all__ = ["Cluster", "LogInfo", "Stats", "TriageResult", "triage"]
