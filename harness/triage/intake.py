"""Logs read now, as light reports: parsed and digested in worker processes
(harness.triage.parallel), rebuilt here from plain rows.

A light report has every field the store keeps and its stacks shared per
distinct content, without pcs: exactly what a later triage reads back from
the store. The report each finding shows first is read again whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from harness.model import Frame, Report, Source, Stack
from harness.store import rows
from harness.triage.cluster import Cluster
from harness.triage.signature import DEFAULT_DEPTH, Signature

if TYPE_CHECKING:
    from harness.symbolize import Symbolizer, SymbolizeSettings
    from harness.triage.parallel import Digested


@dataclass(slots=True)
class Intake:
    """shown path → (its Digested, its light reports); every report with its
    signature; the stacks texts (hash → JSON) the reports refer to; what the
    symbolizers could not do (each note once)."""

    logs: dict[str, tuple[Digested, tuple[Report, ...]]] = field(default_factory=dict)
    signed: list[tuple[Report, Signature]] = field(default_factory=list)
    stacks: dict[str, str] = field(default_factory=dict)
    notes: dict[str, None] = field(default_factory=dict)


def take_in(
    items: Sequence[tuple[str, str]],
    workers: int = 2,
    ignore: Sequence[str] = (),
    depth: int = DEFAULT_DEPTH,
    symbolize: SymbolizeSettings | None = None,
) -> Intake:
    """Parse (path, shown) pairs, in worker processes when many, into light
    reports, symbolized with `symbolize` (None: frames as printed)."""
    intake = Intake()
    if not items:  # every log came from the store
        return intake
    # imported here: the parsers, the process pool and the symbolizer cost a
    # triage that reads every log from the store time to load, and it needs none
    from harness.triage.parallel import digest_many

    stacks_of: dict[str, tuple[Stack, ...]] = {}
    frames: dict[tuple[object, ...], Frame] = {}
    signatures: dict[str, Signature] = {}
    for batch in digest_many(items, workers, ignore, depth, symbolize):
        intake.stacks.update(batch.stacks)
        intake.notes.update(dict.fromkeys(batch.notes))
        signatures.update(batch.signatures)
        for digest, text in batch.stacks.items():
            stacks_of[digest] = rows.stacks_from_json(text, frames)
        for d in batch.logs:
            reports = []
            for (
                off, length, pid, tool, kind, acc, size, addr, trunc, leak, head, h, sig,
                leaked, objects,
            ) in d.rows:  # fmt: skip
                report = Report(
                    tool,
                    kind,
                    Source(d.shown, off, length, pid),
                    head,
                    acc,
                    size,
                    addr,
                    None,
                    stacks_of[h],
                    None,
                    trunc,
                    rows.leak_details(leak, leaked, objects) if leak else {},
                )
                reports.append(report)
                intake.signed.append((report, signatures[sig]))
            intake.logs[d.shown] = (d, tuple(reports))
    return intake


def whole_representatives(
    clusters: tuple[Cluster, ...], parsed: dict[str, str], symbolizer: Symbolizer | None = None
) -> tuple[Cluster, ...]:
    """The report each finding shows first, read again whole (with its pcs)
    when its log (shown → path in `parsed`) was parsed now; the others stay light.
    Logs parsed with a symbolizer must be read again with one (the same settings)."""
    out = []
    for c in clusters:
        first = c.finding.reports[0]
        path = parsed.get(first.source.log)
        whole = _reread(path, first, symbolizer) if path else None
        if whole is not None:
            finding = replace(c.finding, reports=(whole, *c.finding.reports[1:]))
            c = replace(c, finding=finding)
        out.append(c)
    return tuple(out)


def _reread(path: str, light: Report, symbolizer: Symbolizer | None) -> Report | None:
    """The report at `light`'s place in the log at `path`, unless the log changed since."""
    from harness.symbolize import symbolize_report  # see take_in
    from harness.triage.parallel import parse_one

    content = rows.stacks_key(light.stacks)
    for report in parse_one(path, light.source.log).result.reports:
        if report.source == light.source and report.headline == light.headline:
            if symbolizer is not None:
                report = symbolize_report(report, symbolizer)
            return report if rows.stacks_key(report.stacks) == content else None
    return None
