"""The ledger as a table or JSON: a pure view, then the writing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabulate import tabulate

from harness.ledger.model import Group, Ledger
from harness.ledger.run import LedgerResult
from harness.run_plan import relative
from harness.triage.names import normalize_function

SCHEMA = "harness.ledger/1"
NOT_KNOWN = "n/a"
STACK_DEPTH = 4
NAME_WIDTH = 40


@dataclass(frozen=True, slots=True)
class Links:
    """What the store said about each group: its finding, and a sanitizer finding
    allocating at the same site."""

    findings: tuple[str | None, ...] = ()
    statuses: Mapping[str, str] | None = None
    same_site: tuple[str | None, ...] = ()

    def finding(self, index: int) -> str | None:
        return self.findings[index] if index < len(self.findings) else None

    def twin(self, index: int) -> str | None:
        return self.same_site[index] if index < len(self.same_site) else None


def _figure(value: int | None) -> str:
    return f"{value:,}" if value is not None else NOT_KNOWN


def _path(group: Group) -> str:
    """The allocating call path, top first, up to main: the C library's start-up
    frames below main say nothing, and each method would show other ones. Names
    as finding titles give them (`v8impl::FunctionCallbackWrapper::Invoke`, no
    parameters), each cut to NAME_WIDTH characters."""
    names = [_name(frame.function) for frame in group.frames]
    if "main" in names:
        names = names[: names.index("main") + 1]
    more = " ‹ …" if len(names) > STACK_DEPTH else ""
    return " ‹ ".join(names[:STACK_DEPTH]) + more


def _name(function: str | None) -> str:
    name = (normalize_function(function) if function else None) or function or "?"
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"


def _place(group: Group, root: Path) -> str:
    site = group.site
    if site is not None and site.file:
        shown = relative(Path(site.file), root) if Path(site.file).is_absolute() else site.file
        return f"{shown}:{site.line}" if site.line else shown
    return group.location


def table(result: LedgerResult, root: Path, links: Links = Links()) -> str:
    ledger, program = result.ledger, result.subject
    exit_text = ledger.signal or f"exit code {ledger.exit_code}"
    lines = [
        f"{program.target.name} on {program.input.name} ({result.compiler}, plain build), "
        f"via {ledger.method} ({result.why}); {exit_text}",
        "calls: " + (", ".join(f"{name} {count:,}" for name, count in ledger.calls) or NOT_KNOWN),
        f"bytes allocated {_figure(ledger.allocated)}, freed {_figure(ledger.freed)}, "
        f"peak live {_figure(ledger.peak)}; unfreed {ledger.unfreed_bytes:,} in "
        f"{ledger.unfreed_blocks:,} block(s)",
        ledger.meaning,
        "",
    ]
    if not ledger.groups:
        lines.append("nothing unfreed")
    else:
        lines.append(tabulate(_rows(ledger, root, links), headers=HEADERS))
    lines.extend(f"note: {note}" for note in ledger.notes)
    lines.append(f"\nlog: {ledger.log}")
    return "\n".join(lines)


HEADERS = ("site", "file:line", "allocator", "blocks", "bytes", "whose", "finding")


def _rows(ledger: Ledger, root: Path, links: Links) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for index, group in enumerate(ledger.groups):
        whose = "program" if group.own else "library"
        if group.leak:
            whose += f" ({group.leak})"
        rows.append(
            (
                _path(group),
                _place(group, root),
                group.allocator,
                f"{group.count:,}",
                f"{group.bytes:,}",
                whose,
                _finding_text(index, links),
            )
        )
    return rows


def _finding_text(index: int, links: Links) -> str:
    finding = links.finding(index)
    parts = []
    if finding:
        status = (links.statuses or {}).get(finding)
        parts.append(f"{finding} ({status})" if status else finding)
    twin = links.twin(index)
    if twin and twin != finding:
        parts.append(f"same site as finding {twin}")
    return "; ".join(parts)


def to_json(result: LedgerResult, root: Path, links: Links = Links()) -> dict[str, Any]:
    ledger, program = result.ledger, result.subject
    return {
        "schema": SCHEMA,
        "target": program.target.name,
        "input": relative(program.input, root),
        "cc": program.cc,
        "compiler": result.compiler,
        "method": ledger.method,
        "why": result.why,
        "meaning": ledger.meaning,
        "exit_code": ledger.exit_code,
        "signal": ledger.signal,
        "calls": dict(ledger.calls) if ledger.calls else None,
        "allocated": ledger.allocated,
        "freed": ledger.freed,
        "peak": ledger.peak,
        "unfreed": {"bytes": ledger.unfreed_bytes, "blocks": ledger.unfreed_blocks},
        "groups": [_group_json(g, i, links) for i, g in enumerate(ledger.groups)],
        "notes": list(ledger.notes),
        "log": ledger.log,
        "run": relative(result.run_dir, root),
    }


def _group_json(group: Group, index: int, links: Links) -> dict[str, Any]:
    return {
        "allocator": group.allocator,
        "blocks": group.count,
        "bytes": group.bytes,
        "own": group.own,
        "leak": group.leak,
        "offset": group.offset,
        "finding": links.finding(index),
        "same_site_as": links.twin(index),
        "frames": _frames_json(group.frames),
    }


def _frames_json(frames: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "function": frame.function,
            "file": frame.file,
            "line": frame.line,
            "module": frame.module,
            "offset": frame.module_offset,
        }
        for frame in frames
    ]
