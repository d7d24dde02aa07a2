"""The findings store: SQLite (WAL), one transaction per ingestion.

Opened through this small layer so that a server database can take its
place later: callers use Store's methods, never SQL.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from harness.errors import HarnessError, UsageError
from harness.model import Leaked, Report, ReportRef
from harness.store import evidence, light, nightlies, queries, rekey, tracking
from harness.store.ingestion import Ingestion, LogEntry, Outcome, RunRow, existing_keys, ingest
from harness.store.queries import FindingDetail, StoredFinding
from harness.store.schema import SCHEMA_VERSION, migrate

__all__ = [
    "FindingDetail",
    "Ingestion",
    "LogEntry",
    "Outcome",
    "RunRow",
    "Store",
    "StoredFinding",
    "open_store",
    "utc_now",
]

# Long enough for another triage's whole ingestion to finish first.
BUSY_TIMEOUT_MS = 120_000
RETRY_SECONDS = 0.05
# How much of the database file SQLite may map (the rest is read as usual).
MMAP_BYTES = 256 * 1024 * 1024


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Store:
    """One open findings database."""

    def __init__(self, conn: sqlite3.Connection, location: str):
        self.conn = conn
        self.location = location

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def existing_keys(self, keys: Iterable[str]) -> set[str]:
        return existing_keys(self.conn, keys)

    def stat_cache(self) -> dict[str, tuple[int, int, str]]:
        """path → (size, mtime_ns, log key) of files read before, whose log the store holds."""
        return queries.stat_cache(self.conn)

    def stored_reports(self, shown_by_key: Mapping[str, str]) -> list[Report]:
        return queries.stored_reports(self.conn, shown_by_key)

    def stored_groups(self, shown_by_key: Mapping[str, str]) -> list[light.StoredGroup]:
        """Stored reports light, grouped by what their signature reads (see store.light)."""
        return light.stored_groups(self.conn, shown_by_key)

    def whole_report(self, key: str, report: Report) -> Report | None:
        return light.whole_report(self.conn, key, report)

    def ingest(self, ingestion: Ingestion, rules: str | None = None) -> Outcome:
        """Store one ingestion whose reports were signed under `rules`
        (light.rules_key; None when not known)."""
        # a log the stat cache knew is stored already: its reports are not added
        adding = any(entry.reports and not entry.cached for entry in ingestion.logs)
        light.note_rules(self.conn, rules, adding)
        return ingest(self.conn, ingestion)

    def rules_hold(self, rules: str) -> bool:
        """Whether every stored report's finding id was made under `rules` (light.rules_key)."""
        return light.rules_hold(self.conn, rules)

    def stored_refs(
        self, places: Mapping[str, tuple[str, str | None]]
    ) -> dict[str, list[ReportRef]]:
        """finding id → the stored reports of logs `places` names, by place (light.stored_refs)."""
        return light.stored_refs(self.conn, places)

    def stored_leaks(self, places: Collection[str]) -> dict[str, Leaked]:
        """finding id → the bytes and objects its stored reports of the logs
        `places` names (log keys) leaked in all (light.stored_leaks)."""
        return light.stored_leaks(self.conn, places)

    def whole_at(self, key: str, finding: str, ref: ReportRef) -> Report | None:
        return light.whole_at(self.conn, key, finding, ref)

    def rekey_outdated(self, ignore: Sequence[str] = (), depth: int = 3) -> int:
        """Re-key findings stored under an older signature version."""
        if not rekey.outdated(self.conn):
            return 0
        return rekey.rekey(self.conn, ignore, depth, utc_now())

    def detail(self, finding: str) -> FindingDetail:
        return queries.detail(self.conn, finding)

    def first_commits(self, ids: Iterable[str]) -> dict[str, str | None]:
        """finding id → the commit it was first seen at, for the stored ones of `ids`."""
        return queries.first_commits(self.conn, ids)

    def history(self) -> tuple[StoredFinding, ...]:
        return queries.history(self.conn)

    # findings across commits (harness.store.tracking)

    def resolve(self, prefix: str) -> str:
        """The one finding id starting with `prefix` (UsageError when none or several)."""
        return queries.resolve(self.conn, prefix)

    def tracked(self, finding: str) -> tracking.Tracking:
        return tracking.tracking(self.conn, finding)

    def set_muted(self, finding: str, reason: str | None) -> str:
        """Mute with a reason, or unmute with None; returns the status now shown."""
        return tracking.set_muted(self.conn, finding, reason, utc_now())

    def meta(self, key: str) -> str | None:
        return tracking.meta(self.conn, key)

    def add_claims(self, claims: Iterable[tracking.Claim], head: str) -> None:
        tracking.add_claims(self.conn, claims, head, utc_now())

    def claims(self) -> tuple[tracking.Claim, ...]:
        return tracking.claims(self.conn)

    def mark_claimed(self, contradicted: Mapping[str, str]) -> None:
        tracking.mark_claimed(self.conn, contradicted)

    def record_bisection(self, finding: str, result: tracking.Bisection) -> None:
        tracking.record_bisection(self.conn, finding, result)

    def reproducers(self, finding: str) -> tuple[evidence.Reproducer, ...]:
        return evidence.reproducers(self.conn, finding)

    def active_reproducers(self) -> tuple[tuple[str, evidence.Reproducer], ...]:
        return tracking.active_reproducers(self.conn)

    def clean_commits(self, finding: str) -> list[tuple[str, str]]:
        return evidence.clean_commits(self.conn, finding)

    def clean_counts(self, finding: str) -> dict[str, int]:
        return tracking.clean_counts(self.conn, finding)

    def seen_commits(self) -> dict[str, dict[str, str]]:
        return tracking.seen_commits(self.conn)

    def fixed_times(self) -> dict[str, list[str]]:
        return tracking.fixed_times(self.conn)

    def run_commits(self) -> list[str]:
        return tracking.run_commits(self.conn)

    def known_commits(self) -> set[str]:
        return tracking.known_commits(self.conn)

    # nightlies (harness.store.nightlies)

    def record_nightly(self, night: nightlies.NightlyRecord) -> None:
        nightlies.record(self.conn, night)

    def nightly_baseline(self, branch: str | None) -> nightlies.NightlyRecord | None:
        """The last nightly on `branch` whose changes were told (see store.nightlies)."""
        return nightlies.baseline(self.conn, branch)

    def statuses(self) -> dict[str, str]:
        """finding id → the status shown now."""
        return nightlies.statuses(self.conn)

    def finding_reports(self, finding: str, limit: int) -> tuple[nightlies.StoredReport, ...]:
        """The latest `limit` reports of a finding, whole, with their inputs and commits."""
        return nightlies.finding_reports(self.conn, finding, limit)


def _sqlite_path(location: str) -> Path:
    if location.startswith("sqlite:///"):
        return Path(location.removeprefix("sqlite://"))
    if "://" in location:
        raise UsageError(f"--db {location}: only SQLite files (a path or sqlite:///path) work")
    return Path(location)


def _connect(path: Path) -> sqlite3.Connection:
    # Switching a new database to WAL while another process creates it can
    # fail with "database is locked" at once, without the busy handler
    # waiting: try again until the busy timeout has passed.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE).
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            # An ingestion inserts tens of thousands of rows into three indexes:
            # the default 2 MB page cache makes SQLite spill and re-read pages.
            conn.execute("PRAGMA cache_size = -65536")
            # Pages read through a memory map, not copied in one read() each: a
            # triage of an unchanged corpus reads every stored report back.
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            migrate(conn)
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(RETRY_SECONDS)
            continue
        return conn


def open_store(location: str | Path, create: bool = True) -> Store:
    """Open (and create or migrate) the database at `location`."""
    path = _sqlite_path(str(location))
    if not create and not path.exists():
        raise UsageError(f"no findings database at {path}; run `harness triage LOGS` first")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(path)
    except (OSError, sqlite3.DatabaseError) as exc:
        raise HarnessError(
            f"{path}: cannot open the findings database: {exc}; choose another with"
            " --db PATH (or `db` in harness.toml), or move this file aside"
        ) from exc
    version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        conn.close()
        raise HarnessError(f"{path}: database schema {version} is newer than this harness")
    return Store(conn, str(path))
