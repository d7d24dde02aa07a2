"""The SQLite schema and its migrations.

Each migration is a list of steps run in one transaction: SQL statements,
or a function for what SQL cannot say (reading numbers out of text). The
`schema_version` table records how far a database has come. Add a
migration at the end, never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from harness.store.rows import leak_size

Step = str | Callable[[sqlite3.Connection], None]


def _leak_sizes_from_headlines(conn: sqlite3.Connection) -> None:
    """Bytes and objects of the leak reports stored before they had columns,
    read from their headlines as the parsers read them."""
    found = conn.execute("SELECT id, headline FROM reports WHERE leak IS NOT NULL").fetchall()
    sizes = [(*size, row[0]) for row in found if (size := leak_size(row[1])) is not None]
    conn.executemany("UPDATE reports SET leak_bytes = ?, leak_objects = ? WHERE id = ?", sizes)


MIGRATIONS: tuple[tuple[Step, ...], ...] = (
    # 1: runs, logs, reports, findings and their lifecycle events.
    (
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,            -- 'run' (harness run) or 'triage' (an ingestion)
            commit_sha TEXT, branch TEXT, dirty INTEGER NOT NULL DEFAULT 0,
            started TEXT NOT NULL, profile TEXT, compiler TEXT)""",
        """CREATE TABLE logs (
            key TEXT PRIMARY KEY,          -- run:<run_id>/job:<n>/<relpath> or sha256:<hex>
            path TEXT NOT NULL, size INTEGER NOT NULL,
            run_id TEXT REFERENCES runs(id), job INTEGER, input TEXT,
            commit_sha TEXT, dirty INTEGER NOT NULL DEFAULT 0,
            ingestion TEXT NOT NULL REFERENCES runs(id))""",
        # Stacks are stored once per distinct content (pcs left out: they move
        # with ASLR while the frames stay), so thousands of reports of one bug
        # cost one row.
        "CREATE TABLE stacks (hash TEXT PRIMARY KEY, json TEXT NOT NULL)",
        """CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            log_key TEXT NOT NULL REFERENCES logs(key),
            offset INTEGER NOT NULL, length INTEGER NOT NULL, pid INTEGER,
            tool TEXT NOT NULL, kind TEXT NOT NULL, access TEXT, access_size INTEGER,
            address TEXT, truncated INTEGER NOT NULL DEFAULT 0, leak TEXT,
            headline TEXT NOT NULL DEFAULT '', stacks_hash TEXT REFERENCES stacks(hash),
            finding_id TEXT NOT NULL)""",
        "CREATE INDEX reports_by_finding ON reports(finding_id)",
        "CREATE INDEX reports_by_log ON reports(log_key)",
        """CREATE TABLE findings (
            id TEXT PRIMARY KEY, signature_version INTEGER NOT NULL,
            kind TEXT NOT NULL, access TEXT, access_size INTEGER, leak TEXT,
            title TEXT NOT NULL, severity TEXT NOT NULL, security INTEGER NOT NULL,
            tools TEXT NOT NULL, frames TEXT NOT NULL, bug_key TEXT,
            status TEXT NOT NULL, muted INTEGER NOT NULL DEFAULT 0,
            first_commit TEXT, first_time TEXT NOT NULL,
            last_commit TEXT, last_time TEXT NOT NULL)""",
        "CREATE INDEX findings_by_bug ON findings(bug_key)",
        """CREATE TABLE finding_events (
            id INTEGER PRIMARY KEY, finding_id TEXT NOT NULL,
            ingestion TEXT, commit_sha TEXT, time TEXT NOT NULL,
            old_status TEXT, new_status TEXT NOT NULL, note TEXT)""",
        "CREATE INDEX events_by_finding ON finding_events(finding_id)",
        # Lets a second triage of an unchanged corpus skip reading files.
        """CREATE TABLE stat_cache (
            path TEXT PRIMARY KEY, size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL, log_key TEXT NOT NULL)""",
    ),
    # 2: findings across commits: every job a run executed (the clean ones
    # prove fixes), reproducers, fix claims, muting and bisections.
    (
        """CREATE TABLE jobs (
            run_id TEXT NOT NULL, job INTEGER NOT NULL,
            target TEXT NOT NULL, profile TEXT NOT NULL, compiler TEXT,
            input TEXT, input_sha256 TEXT NOT NULL,  -- '' for a job with no input
            repeat INTEGER NOT NULL DEFAULT 0,
            commit_sha TEXT, dirty INTEGER NOT NULL DEFAULT 0,
            exit_code INTEGER, signal TEXT,
            timed_out INTEGER NOT NULL DEFAULT 0, oom INTEGER NOT NULL DEFAULT 0,
            logs INTEGER NOT NULL,                   -- how many logs runs.jsonl names
            complete INTEGER NOT NULL DEFAULT 0,     -- every one of them was ingested
            ingestion TEXT NOT NULL,
            PRIMARY KEY (run_id, job))""",
        "CREATE INDEX jobs_by_reproducer ON jobs(target, profile, input_sha256)",
        "CREATE INDEX logs_by_job ON logs(run_id, job)",
        # (target, profile, input) of the jobs whose logs showed the finding
        """CREATE TABLE reproducers (
            finding_id TEXT NOT NULL, target TEXT NOT NULL, profile TEXT NOT NULL,
            input_sha256 TEXT NOT NULL, input TEXT, first_time TEXT NOT NULL,
            PRIMARY KEY (finding_id, target, profile, input_sha256))""",
        "CREATE INDEX reproducers_by_input ON reproducers(target, profile, input_sha256)",
        # status holds what is shown ('muted' while muted); base_status the
        # lifecycle status underneath, which runs keep moving while muted.
        "ALTER TABLE findings ADD COLUMN base_status TEXT",
        "ALTER TABLE findings ADD COLUMN mute_reason TEXT",
        # start of the latest run that showed the finding, and the fix evidence
        "ALTER TABLE findings ADD COLUMN seen_time TEXT",
        "ALTER TABLE findings ADD COLUMN fixed_time TEXT",
        "ALTER TABLE findings ADD COLUMN fixed_commit TEXT",
        # a commit whose message claims the fix while the finding still reproduces
        "ALTER TABLE findings ADD COLUMN claimed_fixed TEXT",
        """CREATE TABLE claims (
            commit_sha TEXT NOT NULL, prefix TEXT NOT NULL, time TEXT NOT NULL,
            PRIMARY KEY (commit_sha, prefix))""",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE bisections (
            id INTEGER PRIMARY KEY, finding_id TEXT NOT NULL, time TEXT NOT NULL,
            good TEXT NOT NULL, bad TEXT NOT NULL, first_bad TEXT,
            candidates TEXT NOT NULL, steps TEXT NOT NULL)""",
        "CREATE INDEX bisections_by_finding ON bisections(finding_id)",
    ),
    # 3: one row per `harness nightly`: what it saw, so the next night can say
    # what changed since.
    (
        """CREATE TABLE nightlies (
            id TEXT PRIMARY KEY, branch TEXT, commit_sha TEXT,
            dirty INTEGER NOT NULL DEFAULT 0,
            started TEXT NOT NULL, finished TEXT NOT NULL,
            statuses TEXT NOT NULL,      -- JSON {finding id: status shown} after the night
            counts TEXT NOT NULL,        -- JSON {new, regressed, fixed, open, muted}
            failures TEXT NOT NULL,      -- JSON [{step, profile, message}]
            mail TEXT NOT NULL)  -- sent, not needed, off, not configured, dry-run, failed""",
        "CREATE INDEX nightlies_by_branch ON nightlies(branch, finished)",
    ),
    # 4: the bytes and objects of each leak report (a leak finding shows their
    # totals); the index lets a triage of an unchanged corpus sum them
    # without reading the other reports.
    (
        "ALTER TABLE reports ADD COLUMN leak_bytes INTEGER",
        "ALTER TABLE reports ADD COLUMN leak_objects INTEGER",
        _leak_sizes_from_headlines,
        """CREATE INDEX reports_leaks ON reports(log_key, finding_id, leak_bytes, leak_objects)
            WHERE leak IS NOT NULL""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to SCHEMA_VERSION; returns the version found before."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = current_version(conn)
        for number in range(found + 1, SCHEMA_VERSION + 1):
            for step in MIGRATIONS[number - 1]:
                if isinstance(step, str):
                    conn.execute(step)
                else:
                    step(conn)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found
