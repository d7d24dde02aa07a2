"""Clustering: reports sharing a signature become one Finding, ranked.

Nothing here depends on the order the reports arrive in: reports are
sorted by their place in the logs before the representative is picked, and
findings are ranked by severity, then count, then id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter

from harness.model import NOTHING_LEAKED, Finding, Leaked, Report, add_leaked
from harness.triage.severity import SEVERITY_ORDER, rate
from harness.triage.signature import DEFAULT_DEPTH, Signature, content_key, signature


@dataclass(frozen=True, slots=True)
class Cluster:
    """A finding and the bug it belongs to (the second level of grouping)."""

    finding: Finding
    bug_key: str


def leaked(reports: Iterable[Report]) -> Leaked:
    """The bytes and objects `reports` leaked in all (their leak reports':
    those the store keeps the sizes of)."""
    total = NOTHING_LEAKED
    for report in reports:
        details = report.details
        if report.kind == "leak" and details.get("leak"):
            total = add_leaked(total, (details.get("bytes"), details.get("objects")))
    return total


# One C call per report: clustering sorts every report of a triage.
_ORDER = attrgetter("source.log", "source.offset", "tool")


def report_order(report: Report) -> tuple[str, int, str]:
    return _ORDER(report)  # type: ignore[no-any-return]


def cluster(
    reports: Iterable[Report], ignore: Sequence[str] = (), depth: int = DEFAULT_DEPTH
) -> tuple[Cluster, ...]:
    """Group reports by signature and rank the findings."""
    return cluster_signed(sign(reports, ignore, depth))


def sign(
    reports: Iterable[Report], ignore: Sequence[str] = (), depth: int = DEFAULT_DEPTH
) -> list[tuple[Report, Signature]]:
    """Each report with its signature."""
    reports = list(reports)  # alive throughout: the id() look-up below relies on it
    signed: list[tuple[Report, Signature]] = []
    # The same bug recurs across thousands of logs with only pcs and addresses
    # changed: compute each distinct signature once.
    memo: dict[tuple[object, ...], Signature] = {}
    # Reports read back from the store share one stacks tuple per distinct
    # content: a cheaper first look-up (the reports keep the tuples alive).
    by_stacks: dict[tuple[int, str, str | None, object], Signature] = {}
    for report in reports:
        quick = (id(report.stacks), report.kind, report.access, report.details.get("leak"))
        sig = by_stacks.get(quick)
        if sig is None:
            key = content_key(report)
            sig = memo.get(key)
            if sig is None:
                sig = memo[key] = signature(report, ignore, depth)
            by_stacks[quick] = sig
        signed.append((report, sig))
    return signed


def cluster_signed(signed: Iterable[tuple[Report, Signature]]) -> tuple[Cluster, ...]:
    """Group reports whose signatures are already known, and rank the findings."""
    groups: dict[str, list[tuple[Report, Signature]]] = defaultdict(list)
    for member in signed:
        groups[member[1].id].append(member)
    clusters = [_build(members) for members in groups.values()]
    return tuple(sorted(clusters, key=lambda c: rank_key(c.finding)))


def with_shown_frames(
    clusters: Iterable[Cluster], ignore: Sequence[str] = (), depth: int = DEFAULT_DEPTH
) -> tuple[Cluster, ...]:
    """Each finding with its signature frames as the report it shows first
    prints them. Reports signed once per distinct content share a signature
    whose file:line came from whichever of them was signed first; the keys,
    and so the id, are the same for all, but the lines shown must not depend
    on the order logs were read in."""
    out = []
    for c in clusters:
        sig = signature(c.finding.reports[0], ignore, depth)
        if sig.id == c.finding.id and sig.frames != c.finding.frames:
            c = replace(c, finding=replace(c.finding, frames=sig.frames))
        out.append(c)
    return tuple(out)


def rank_key(finding: Finding) -> tuple[int, int, str]:
    """Severity first, then the most reports, then id for a stable order."""
    return (SEVERITY_ORDER.get(finding.severity, 9), -finding.count, finding.id)


def _build(members: list[tuple[Report, Signature]]) -> Cluster:
    members.sort(key=lambda member: _ORDER(member[0]))
    first, sig = members[0]
    rating = rate(sig.kind, sig.access)
    reports = tuple(report for report, _ in members)
    size, objects = leaked(reports) if sig.kind == "leak" else NOTHING_LEAKED
    finding = Finding(
        id=sig.id,
        signature_version=sig.version,
        title=sig.title,
        kind=sig.kind,
        access=sig.access,
        access_size=first.access_size,
        severity=rating.severity,
        security=rating.security,
        tools=tuple(sorted({report.tool for report in reports})),
        frames=sig.frames,
        reports=reports,
        leak=sig.leak,
        leak_bytes=size,
        leak_objects=objects,
    )
    return Cluster(finding=finding, bug_key=sig.bug_key)
