"""Reports and stacks to and from rows: what the store keeps of a report is
enough to show it and to compute its signature again under new rules."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any

from harness.model import Frame, Report, SignatureFrame, Source, Stack

_FRAME_FIELDS = ("index", "function", "file", "line", "column", "module", "module_offset")
# One C call per frame: stacks_key runs on every report of a triage.
_frame_values = attrgetter(*_FRAME_FIELDS)

# A leak's size as each tool's headline says it: LSan "Direct leak of 37
# byte(s) in 3 object(s) allocated from:", memcheck "64 (32 direct, 32
# indirect) bytes in 1 blocks are definitely lost in ...", the ledgers
# "ltrace: 24 byte(s) in 3 block(s) still allocated at exit, ...".
_LEAK_SIZE = re.compile(
    r"(?P<bytes>[\d,]+) (?:\((?P<direct>[\d,]+) direct, [\d,]+ indirect\) )?"
    r"byte(?:s|\(s\)) in (?P<objects>[\d,]+) (?:object|block)"
)

StacksKey = tuple[tuple[str, str | None, str | None, tuple[tuple[object, ...], ...]], ...]


def stacks_key(stacks: Sequence[Stack]) -> StacksKey:
    """What stacks_json writes, as a hashable value (for memoizing it)."""
    return tuple((s.role, s.thread, s.header, tuple(map(_frame_values, s.frames))) for s in stacks)


def stacks_json(stacks: Sequence[Stack]) -> str:
    """Stable JSON of all stacks (every role), without pcs."""
    return key_json(stacks_key(stacks))


def key_json(key: StacksKey) -> str:
    """stacks_json of the stacks whose stacks_key is `key`."""
    data = [
        {"role": role, "thread": thread, "header": header, "frames": frames}
        for role, thread, header, frames in key
    ]
    return json.dumps(data, separators=(",", ":"))


def stacks_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def stacks_from_json(
    text: str, frames: dict[tuple[object, ...], Frame] | None = None
) -> tuple[Stack, ...]:
    """The stacks stacks_json wrote. Frames are shared through `frames` when
    given: the same frames recur across the stacks of many findings."""
    memo: dict[tuple[object, ...], Frame] = {} if frames is None else frames

    def frame(row: Sequence[Any]) -> Frame:
        key = tuple(row)
        found = memo.get(key)
        if found is None:
            index, function, file, line, column, module, module_offset = row  # _FRAME_FIELDS
            found = memo[key] = Frame(
                index, None, function, file, line, column, module, module_offset
            )
        return found

    return tuple(
        Stack(
            role=item["role"],
            thread=item.get("thread"),
            header=item.get("header"),
            frames=tuple(map(frame, item["frames"])),
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


def leak_size(headline: str) -> tuple[int, int] | None:
    """(bytes, objects) of a leak, read from its report's headline as the
    parsers read them (of a memcheck block that holds others, its own bytes,
    the direct ones); None when the headline says no size."""
    found = _LEAK_SIZE.search(headline)
    if found is None:
        return None
    size = found.group("direct") or found.group("bytes")
    return int(size.replace(",", "")), int(found.group("objects").replace(",", ""))


def leak_details(leak: str, size: int | None, objects: int | None) -> dict[str, Any]:
    """A stored leak report's details, as the parsers give them."""
    details: dict[str, Any] = {"leak": leak}
    if size is not None:
        details["bytes"] = size
    if objects is not None:
        details["objects"] = objects
    return details


def report_from_row(row: Mapping[str, Any], log: str, stacks: tuple[Stack, ...]) -> Report:
    """A Report rebuilt from its row, placed in `log` (the path as given now)."""
    details: dict[str, Any] = {}
    if row["leak"]:
        details = leak_details(row["leak"], row["leak_bytes"], row["leak_objects"])
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
