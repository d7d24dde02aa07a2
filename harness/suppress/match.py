"""Matching rules against reports, and splitting signed reports into kept
and suppressed with counts per rule."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from harness.model import Frame, Report
from harness.suppress.kinds import RULE_TYPES, ubsan_check
from harness.suppress.rules import Rule
from harness.triage.names import normalize_function
from harness.triage.signature import Signature

# A rule hiding more distinct findings than this is probably too broad.
BROAD_RULE_FINDINGS = 5

_INTERCEPTOR_PREFIX = re.compile(r"^(___interceptor_|__interceptor_trampoline_|__interceptor_)")


def _texts(frame: Frame, fields: str) -> Iterator[str]:
    function = frame.function
    if function and fields in ("any", "function"):
        yield function
        yield normalize_function(function) or function
    if function and fields == "interceptor":
        yield _INTERCEPTOR_PREFIX.sub("", normalize_function(function) or function)
    if frame.file and fields in ("any", "file", "path"):
        yield frame.file
    if frame.file and fields == "path":
        parts = frame.file.replace("\\", "/").split("/")
        yield from ("/".join(parts[n:]) for n in range(1, len(parts)))
    if frame.module and fields in ("any", "module"):
        yield frame.module
        if fields == "module":
            yield frame.module.replace("\\", "/").rsplit("/", 1)[-1]


def _hit(rule: Rule, text: str | None) -> bool:
    if not text:
        return False
    glob = rule.kind.glob
    return bool(rule.regex.match(text) if glob else rule.regex.search(text))


def matches(rule: Rule, report: Report, finding: str | None = None) -> bool:
    """True when `rule` suppresses `report` (whose finding id is `finding`)."""
    kind = rule.kind
    if rule.type not in RULE_TYPES:
        if report.tool != "ubsan" or rule.type not in (report.kind, ubsan_check(report.kind)):
            return False
    elif not kind.applies(report):
        return False
    if kind.fields in ("kind", "tool", "finding"):
        value = {"kind": report.kind, "tool": report.tool, "finding": finding}[kind.fields]
        return _hit(rule, value)
    if rule.type == "odr_violation" and _hit(rule, report.headline):
        return True
    texts = (text for frame in kind.frames(report) for text in _texts(frame, kind.fields))
    return any(_hit(rule, text) for text in texts)


@dataclass(frozen=True, slots=True)
class SuppressResult:
    """The reports kept, and for each rule that hid something: how many
    reports and how many distinct findings."""

    kept: tuple[tuple[Report, Signature], ...]
    reports: dict[Rule, int]
    findings: dict[Rule, int]

    @property
    def suppressed(self) -> int:
        return sum(self.reports.values())

    def summary(self) -> tuple[str, ...]:
        """One line per rule that hid reports, in file order."""
        return tuple(
            f"{rule.where}: '{rule.text}' suppressed {count} report{'s' * (count != 1)} "
            f"({self.findings[rule]} finding{'s' * (self.findings[rule] != 1)})"
            for rule, count in sorted(self.reports.items(), key=lambda item: item[0].line)
        )

    def warnings(self, threshold: int = BROAD_RULE_FINDINGS) -> tuple[str, ...]:
        """Rules that hide more than `threshold` distinct findings."""
        return tuple(
            f"{rule.where}: rule '{rule.text}' hides {count} distinct findings: too broad?"
            for rule, count in sorted(self.findings.items(), key=lambda item: item[0].line)
            if count > threshold
        )


def suppress(signed: Iterable[tuple[Report, Signature]], rules: Sequence[Rule]) -> SuppressResult:
    """Split signed reports into kept and suppressed (by the first matching rule)."""
    signed = list(signed)  # alive throughout: the id() look-up below relies on it
    if not rules:
        return SuppressResult(tuple(signed), {}, {})
    decide = _Decider(rules)
    kept: list[tuple[Report, Signature]] = []
    counts: dict[Rule, int] = {}
    findings: dict[Rule, set[str]] = {}
    for report, sig in signed:
        chosen = decide(report, sig.id)
        if chosen is None:
            kept.append((report, sig))
            continue
        counts[chosen] = counts.get(chosen, 0) + 1
        findings.setdefault(chosen, set()).add(sig.id)
    return SuppressResult(tuple(kept), counts, {rule: len(ids) for rule, ids in findings.items()})


class _Decider:
    """The first rule matching a report; rules on content (everything but
    harness-finding) decided once per (tool, kind, headline, stacks), as the
    reports of one bug share their stacks tuple."""

    def __init__(self, rules: Sequence[Rule]):
        self.content = [rule for rule in rules if rule.type != "harness-finding"]
        self.by_id = [rule for rule in rules if rule.type == "harness-finding"]
        self.order = {rule: index for index, rule in enumerate(rules)}
        self.memo: dict[tuple[object, ...], Rule | None] = {}

    def __call__(self, report: Report, finding: str) -> Rule | None:
        key = (report.tool, report.kind, report.headline, id(report.stacks))
        if key not in self.memo:
            self.memo[key] = next((r for r in self.content if matches(r, report)), None)
        hits = [self.memo[key], next((r for r in self.by_id if matches(r, report, finding)), None)]
        found = [rule for rule in hits if rule is not None]
        return min(found, key=lambda rule: self.order[rule]) if found else None
