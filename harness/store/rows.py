"""Reports and stacks to and from rows: what the store keeps of a report is
enough to show it and to compute its signature again under new rules."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness.model import Frame, Report, SignatureFrame, Source, Stack

_FRAME_FIELDS = ("index", "function", "file", "line", "column", "module", "module_offset")


def stacks_key(stacks: Sequence[Stack]) -> tuple[object, ...]:
    """What stacks_json writes, as a hashable value (for memoizing it)."""
    return tuple(
        (
            s.role,
            s.thread,
            s.header,
            tuple(tuple(getattr(f, n) for n in _FRAME_FIELDS) for f in s.frames),
        )
        for s in stacks
    )


def stacks_json(stacks: Sequence[Stack]) -> str:
    """Stable JSON of all stacks (every role), without pcs."""
    data = [
        {
            "role": stack.role,
            "thread": stack.thread,
            "header": stack.header,
            "frames": [[getattr(frame, name) for name in _FRAME_FIELDS] for frame in stack.frames],
        }
        for stack in stacks
    ]
    return json.dumps(data, separators=(",", ":"))


def stacks_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def stacks_from_json(text: str) -> tuple[Stack, ...]:
    return tuple(
        Stack(
            role=item["role"],
            thread=item.get("thread"),
            header=item.get("header"),
            frames=tuple(
                Frame(**dict(zip(_FRAME_FIELDS, row, strict=True))) for row in item["frames"]
            ),
        )
        for item in json.loads(text)
    )


def frames_json(frames: Sequence[SignatureFrame]) -> str:
    return json.dumps(
        [
            {
                "key": f.key,
                "function": f.function,
                "file": f.file,
                "line": f.line,
                "module": f.module,
            }
            for f in frames
        ]
    )


def frames_from_json(text: str) -> tuple[SignatureFrame, ...]:
    return tuple(SignatureFrame(**item) for item in json.loads(text))


def report_from_row(row: Mapping[str, Any], log: str, stacks: tuple[Stack, ...]) -> Report:
    """A Report rebuilt from its row, placed in `log` (the path as given now)."""
    details: dict[str, Any] = {"leak": row["leak"]} if row["leak"] else {}
    return Report(
        tool=row["tool"],
        kind=row["kind"],
        source=Source(log=log, offset=row["offset"], length=row["length"], pid=row["pid"]),
        headline=row["headline"],
        access=row["access"],
        access_size=row["access_size"],
        address=row["address"],
        stacks=stacks,
        truncated=bool(row["truncated"]),
        details=details,
    )
