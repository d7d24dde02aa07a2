"""Stored reports read back light: a second triage of an unchanged corpus
needs their places and facts, not their stacks.

Reports that share everything a signature reads (stacks, kind, access,
leak kind) form one group; the group carries one sample report with its
stacks, from which the caller computes the signature once under the
current rules. The other reports have no stacks and no headline. The
report a finding shows first is read again whole (`whole_report`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.model import Frame, Report, Source, Stack
from harness.store import rows
from harness.store.queries import report_rows


@dataclass(slots=True)
class StoredGroup:
    """Stored reports equal in all a signature reads; `sample` has the stacks."""

    sample: Report
    reports: list[Report] = field(default_factory=list)


_LIGHT_COLUMNS = (
    "log_key, offset, length, pid, tool, kind, access, access_size, address, truncated,"
    " leak, stacks_hash"
)


def stored_groups(conn: sqlite3.Connection, shown_by_key: Mapping[str, str]) -> list[StoredGroup]:
    """The reports of already-ingested logs (placed at the paths given now), grouped."""
    stacks_text: dict[str, str] | None = None
    frames: dict[tuple[object, ...], Frame] = {}
    stacks_of: dict[str | None, tuple[Stack, ...]] = {}
    groups: dict[tuple[object, ...], StoredGroup] = {}
    for row in report_rows(conn, shown_by_key, _LIGHT_COLUMNS):
        key, off, length, pid, tool, kind, acc, size, addr, trunc, leak, digest = row
        shown = shown_by_key.get(key)
        if shown is None:
            continue
        report = Report(
            tool,
            kind,
            Source(shown, off, length, pid),
            "",
            acc,
            size,
            addr,
            None,
            (),
            None,
            bool(trunc),
            {"leak": leak} if leak else {},
        )
        group = groups.get((digest, kind, acc, leak))
        if group is None:
            if stacks_text is None:
                stacks_text = dict(conn.execute("SELECT hash, json FROM stacks").fetchall())
            stacks = stacks_of.get(digest)
            if stacks is None:
                text = stacks_text.get(digest or "", "[]")
                stacks = stacks_of[digest] = rows.stacks_from_json(text, frames)
            sample = Report(
                tool, kind, report.source, "", acc, size, addr, stacks=stacks,
                details=dict(report.details),
            )  # fmt: skip
            group = groups[(digest, kind, acc, leak)] = StoredGroup(sample)
        group.reports.append(report)
    return list(groups.values())


def whole_report(conn: sqlite3.Connection, key: str, light: Report) -> Report | None:
    """The stored report of log `key` that `light` stands for, with its stacks and headline."""
    row = conn.execute(
        "SELECT r.*, s.json AS stacks FROM reports r LEFT JOIN stacks s ON s.hash = r.stacks_hash"
        " WHERE r.log_key = ? AND r.offset = ? AND r.tool = ? AND r.kind = ? ORDER BY r.id",
        (key, light.source.offset, light.tool, light.kind),
    ).fetchone()
    if row is None:
        return None
    return rows.report_from_row(row, light.source.log, rows.stacks_from_json(row["stacks"] or "[]"))
