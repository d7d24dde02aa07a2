"""Stored reports read back light: a second triage of an unchanged corpus
needs their places and facts, not their stacks.

Reports that share everything a signature reads (stacks, kind, access,
leak kind) form one group; the group carries one sample report with its
stacks, from which the caller computes the signature once under the
current rules. The other reports have no stacks and no headline. The
report a finding shows first is read again whole (`whole_report`).

Lighter still, when every stored report was signed under the rules of this
triage (`rules_hold`), its finding id is read from the store as it is and
its report comes back as a place only (`stored_refs`): no Report object,
no signature. What its leak reports leaked is summed per finding apart
(`stored_leaks`), over those reports alone.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import Any

from harness.model import (
    NOTHING_LEAKED,
    Frame,
    Leaked,
    Report,
    ReportRef,
    Source,
    Stack,
    add_leaked,
)
from harness.store import rows
from harness.store.queries import leak_rows, report_rows
from harness.triage.signature import IGNORE_FINGERPRINT, SIGNATURE_VERSION

# meta key: the rules (rules_key) every stored report's finding id was made
# under, or MIXED once reports were stored under differing or unknown rules
RULES_META = "signature_rules"
MIXED = "mixed"


@dataclass(slots=True)
class StoredGroup:
    """Stored reports equal in all a signature reads; `sample` has the stacks."""

    sample: Report
    reports: list[Report] = field(default_factory=list)


_LIGHT_COLUMNS = (
    "log_key, offset, length, pid, tool, kind, access, access_size, address, truncated,"
    " leak, stacks_hash, leak_bytes, leak_objects"
)


def stored_groups(conn: sqlite3.Connection, shown_by_key: Mapping[str, str]) -> list[StoredGroup]:
    """The reports of already-ingested logs (placed at the paths given now), grouped."""
    stacks_text: dict[str, str] | None = None
    frames: dict[tuple[object, ...], Frame] = {}
    stacks_of: dict[str | None, tuple[Stack, ...]] = {}
    groups: dict[tuple[object, ...], StoredGroup] = {}
    for row in report_rows(conn, shown_by_key, _LIGHT_COLUMNS):
        key, off, length, pid, tool, kind, acc, size, addr, trunc, leak, digest = row[:12]
        leaked, objects = row[12:]
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
            rows.leak_details(leak, leaked, objects) if leak else {},
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


def rules_key(ignore: Sequence[str], depth: int) -> str:
    """What a finding id depends on besides the report: the signature rules."""
    return json.dumps([SIGNATURE_VERSION, IGNORE_FINGERPRINT, depth, list(ignore)])


def renew_rules(conn: sqlite3.Connection, ignore: Sequence[str], depth: int) -> None:
    """After every stored report was signed again under the current signature
    rules (a re-key, inside its transaction): where the record said they had
    all been signed under this project's ignore globs and depth, at an older
    version or ignore table, it now names the current rules."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (RULES_META,)).fetchone()
    if row is None or row[0] == MIXED:
        return
    held = json.loads(row[0])
    if held[-2:] == [depth, list(ignore)]:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = ?", (rules_key(ignore, depth), RULES_META)
        )


def rules_hold(conn: sqlite3.Connection, rules: str) -> bool:
    """Whether every stored report's finding id was made under `rules`."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (RULES_META,)).fetchone()
    return row is not None and row[0] == rules


def note_rules(conn: sqlite3.Connection, rules: str | None, adding: bool) -> None:
    """Before an ingestion that may add reports (`adding`) signed under `rules`
    (None: not known), record which rules the stored finding ids are made under.

    Written ahead of the ingestion, in its own transaction: should the
    ingestion fail, the record errs on the safe side (MIXED only disables
    reading finding ids back as they are)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (RULES_META,)).fetchone()
        held = row[0] if row is not None else None
        value = None
        if rules is not None and held == rules:
            value = None
        elif held is None and conn.execute("SELECT 1 FROM reports LIMIT 1").fetchone() is None:
            value = rules if rules is not None or not adding else MIXED
        elif adding:
            value = MIXED
        if value is not None and value != held:
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (RULES_META, value)
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


_REF_COLUMNS = "finding_id, log_key, offset, pid, address, truncated, tool"
_PLACE = itemgetter(0, 1, 6)  # log, offset, tool: the order of a finding's reports
# A ReportRef from a tuple of its fields in one C call: ReportRef._make would
# add a Python call for each of the (many thousand) stored reports
_as_ref: Callable[[tuple[Any, ...]], ReportRef] = partial(tuple.__new__, ReportRef)


def stored_refs(
    conn: sqlite3.Connection, places: Mapping[str, tuple[str, str | None]]
) -> dict[str, list[ReportRef]]:
    """finding id → the stored reports of the logs in `places` (log key → the
    path as given now and the input of its job), by place, in report order."""
    found: dict[str, list[ReportRef]] = {}
    for fid, key, offset, pid, address, truncated, tool in report_rows(conn, places, _REF_COLUMNS):
        place = places.get(key)
        if place is None:
            continue
        shown, given = place
        # one string per tool name, not one per row: sets of tools, taken per
        # finding over thousands of reports, then hash each name once
        tool = sys.intern(tool)
        ref = _as_ref((shown, offset, pid, address, truncated == 1, given, tool))
        refs = found.get(fid)
        if refs is None:
            found[fid] = [ref]
        else:
            refs.append(ref)
    for refs in found.values():
        refs.sort(key=_PLACE)
    return found


def stored_leaks(conn: sqlite3.Connection, places: Collection[str]) -> dict[str, Leaked]:
    """finding id → the bytes and objects its stored reports of the logs
    `places` names (log keys) leaked in all: what stored_refs leaves out."""
    found: dict[str, Leaked] = {}
    for key, fid, size, objects in leak_rows(conn, places):
        if key in places:
            found[fid] = add_leaked(found.get(fid, NOTHING_LEAKED), (size, objects))
    return found


def whole_at(conn: sqlite3.Connection, key: str, finding: str, ref: ReportRef) -> Report | None:
    """The stored report `ref` of log `key` (in `finding`), whole: stacks and headline."""
    row = conn.execute(
        "SELECT r.*, s.json AS stacks FROM reports r LEFT JOIN stacks s ON s.hash = r.stacks_hash"
        " WHERE r.log_key = ? AND r.offset = ? AND r.tool = ? AND r.finding_id = ? ORDER BY r.id",
        (key, ref.offset, ref.tool, finding),
    ).fetchone()
    if row is None:
        return None
    return rows.report_from_row(row, ref.log, rows.stacks_from_json(row["stacks"] or "[]"))
