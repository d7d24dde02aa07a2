"""Findings from reports the store already holds, by place (ReportRef), merged
with the clusters of the reports parsed now.

Taken only when every stored finding id was made under the signature rules
of this triage (harness.store.light.rules_hold): the ids are read as they
are. Each finding's first report, when a stored one, is read back whole and
signed again: title, frames and bug come from it, as they would from the
first report of a cluster built from Report objects. What the stored
reports leaked comes summed per finding, as the places leave it out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from operator import itemgetter

from harness.errors import HarnessError
from harness.model import NOTHING_LEAKED, Finding, Leaked, Report, ReportRef, add_leaked
from harness.triage.cluster import Cluster, rank_key, report_order
from harness.triage.severity import rate
from harness.triage.signature import DEFAULT_DEPTH, signature

_TOOL = itemgetter(6)  # ReportRef.tool
# finding id, its first stored report → that report whole (None: not found)
WholeReader = Callable[[str, ReportRef], Report | None]


def merge_stored(
    clusters: Sequence[Cluster],
    stored: Mapping[str, Sequence[ReportRef]],
    whole: WholeReader,
    ignore: Sequence[str] = (),
    depth: int = DEFAULT_DEPTH,
    leaks: Mapping[str, Leaked] | None = None,
) -> tuple[Cluster, ...]:
    """The clusters with the stored reports of each finding id added (`stored`
    lists them in report order), ranked again. `leaks` says what each
    finding's stored reports leaked in all (none: nothing)."""
    by_id = {c.finding.id: c for c in clusters}
    merged = [c for c in clusters if c.finding.id not in stored]
    for fid, refs in stored.items():
        stored_leaked = (leaks or {}).get(fid, NOTHING_LEAKED)
        merged.append(_merged(fid, by_id.get(fid), refs, stored_leaked, whole, ignore, depth))
    return tuple(sorted(merged, key=lambda c: rank_key(c.finding)))


def _merged(
    fid: str,
    parsed: Cluster | None,
    refs: Sequence[ReportRef],
    stored_leaked: Leaked,
    whole: WholeReader,
    ignore: Sequence[str],
    depth: int,
) -> Cluster:
    tools = set(map(_TOOL, refs))
    first = refs[0]
    size, objects = stored_leaked
    if parsed is not None:
        tools.update(parsed.finding.tools)
        size, objects = add_leaked(
            stored_leaked, (parsed.finding.leak_bytes, parsed.finding.leak_objects)
        )
        lead = report_order(parsed.finding.reports[0])
        if lead < (first.log, first.offset, first.tool):
            finding = replace(
                parsed.finding,
                stored=tuple(refs),
                tools=tuple(sorted(tools)),
                leak_bytes=size,
                leak_objects=objects,
            )
            return replace(parsed, finding=finding)
    report = whole(fid, first)
    if report is None:
        raise HarnessError(f"{first.log}: its report at byte {first.offset} left the store")
    sig = signature(report, ignore, depth)
    if sig.id != fid:
        raise HarnessError(
            f"{first.log}: stored finding {fid} is {sig.id} under the current signature rules;"
            " the store's record of its rules is wrong"
        )
    rating = rate(sig.kind, sig.access)
    finding = Finding(
        id=fid,
        signature_version=sig.version,
        title=sig.title,
        kind=sig.kind,
        access=sig.access,
        access_size=report.access_size,
        severity=rating.severity,
        security=rating.security,
        tools=tuple(sorted(tools)),
        frames=sig.frames,
        reports=(report, *(parsed.finding.reports if parsed is not None else ())),
        leak=sig.leak,
        stored=tuple(refs[1:]),
        leak_bytes=size,
        leak_objects=objects,
    )
    return Cluster(finding=finding, bug_key=sig.bug_key)
