"""Valgrind Massif's output file (massif.out) → frozen dataclasses. Pure: text in, data out.

The file is a header (`desc:`, `cmd:`, `time_unit:`) and a list of snapshots.
Each snapshot gives the heap in use (`mem_heap_B`), the allocator's overhead
(`mem_heap_extra_B`), the stacks, and for detailed snapshots a tree of
allocation sites, one node per line, nested by indentation:

    n2: 1050136 (heap allocation functions) malloc/new/new[], --alloc-fns, etc.
     n1: 1048576 0x109317: load_table (main.c:59)
      n0: 1048576 0x1095FB: main (main.c:113)
     n0: 1560 in 4 places, all below massif's threshold (1.00%)

`nK` says how many children follow, so a file cut short is detected exactly:
the snapshots read in full are kept and the result is marked `truncated`.
Anything that is not Massif's format raises MassifError naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

TREE_KINDS = ("empty", "detailed", "peak")
SNAPSHOT_FIELDS = ("time", "mem_heap_B", "mem_heap_extra_B", "mem_stacks_B", "heap_tree")
HEADER_FIELDS = ("desc", "cmd", "time_unit")

_NODE = re.compile(r"^(?P<indent> *)n(?P<children>\d+): (?P<bytes>\d+) (?P<text>.*)$")
_BELOW = re.compile(r"^in (?P<places>\d+) places?, (?:all )?below massif's threshold")
_FRAME = re.compile(
    r"^(?P<address>0x[0-9A-Fa-f]+): (?P<function>.*?)"
    r"(?: \((?:in (?P<module>[^()]+)|(?P<file>[^()]*):(?P<line>\d+))\))?$"
)
_SEPARATOR = "#-----------"


class MassifError(HarnessError):
    """A file that is not (or no longer) readable as Massif's output."""


@dataclass(frozen=True, slots=True)
class Node:
    """One allocation site of a snapshot's tree: `bytes` live through this call path.

    The root is Massif's "(heap allocation functions)" entry; a node standing
    for the sites below Massif's threshold has `places` set and no function.
    """

    bytes: int
    text: str
    children: tuple[Node, ...] = ()
    address: str | None = None
    function: str | None = None
    file: str | None = None
    line: int | None = None
    module: str | None = None
    places: int | None = None

    @property
    def below_threshold(self) -> bool:
        return self.places is not None

    @property
    def location(self) -> str | None:
        """`file:line`, or the module when there is no debug information."""
        if self.file is not None:
            return f"{self.file}:{self.line}"
        return self.module


@dataclass(frozen=True, slots=True)
class Snapshot:
    number: int
    time: int
    heap: int
    heap_extra: int
    stacks: int
    tree_kind: str
    tree: Node | None

    @property
    def total(self) -> int:
        """Useful heap plus the allocator's overhead: what the process pays."""
        return self.heap + self.heap_extra


@dataclass(frozen=True, slots=True)
class Massif:
    desc: str
    cmd: str
    time_unit: str
    snapshots: tuple[Snapshot, ...]
    truncated: bool = False

    @property
    def peak(self) -> Snapshot | None:
        """The largest snapshot with an allocation tree (any snapshot when none has one).

        Massif marks a peak, but only to within --peak-inaccuracy (1% by
        default): a later detailed snapshot can be larger, and is then the peak
        here. On a tie the marked peak wins."""
        detailed = [snapshot for snapshot in self.snapshots if snapshot.tree is not None]
        candidates = detailed or self.snapshots
        if not candidates:
            return None
        return max(
            candidates,
            key=lambda snapshot: (snapshot.total, snapshot.tree_kind == "peak", -snapshot.number),
        )


def parse_file(path: str | Path) -> Massif:
    """Read and parse a massif.out file. Raises MassifError."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise MassifError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_text(text, str(path))


def parse_text(text: str, source: str = "massif.out") -> Massif:
    """Parse the text of a massif.out file; `source` names it in errors."""
    return _Reader(text, source).massif()


class _Reader:
    """Walks the lines once; knows the source only to name it in errors."""

    def __init__(self, text: str, source: str):
        text = text.replace("\r\n", "\n")
        self.first = text.split("\n", 1)[0]
        self.lines = text.split("\n")
        # Massif ends every line with a newline: a last line without one was cut
        # in the middle, and its number or name cannot be trusted.
        self.lines.pop()
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        self.source = source
        self.at = 0

    def fail(self, message: str, line: int | None = None) -> MassifError:
        number = (self.at if line is None else line) + 1
        return MassifError(
            f"{self.source}:{number}: {message}; is this a file written by "
            "valgrind --tool=massif (massif.out.<pid>)?"
        )

    def massif(self) -> Massif:
        if not self.first.strip():
            raise self.fail("the file is empty", 0)
        if not self.first.startswith("desc:"):
            raise self.fail(
                f"expected 'desc: ...' on the first line, found {_quote(self.first)}", 0
            )
        header = self.header()
        snapshots: list[Snapshot] = []
        truncated = False
        while self.at < len(self.lines):
            start = self.at
            try:
                snapshots.append(self.snapshot())
            except _EndOfFile:
                truncated = True
                self.at = start
                break
        if not snapshots:
            what = "ends before its first complete snapshot" if truncated else "has no snapshot"
            raise self.fail(f"the file {what}", self.at)
        return Massif(
            header["desc"], header["cmd"], header["time_unit"], tuple(snapshots), truncated
        )

    def header(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for name in HEADER_FIELDS:
            line = self.next_line(first=True)
            key, _, value = line.partition(": ")
            if key != name:
                raise self.fail(f"expected '{name}: ...', found {_quote(line)}", self.at - 1)
            values[name] = value
        return values

    def snapshot(self) -> Snapshot:
        self.expect(_SEPARATOR)
        number = self.number("snapshot")
        self.expect(_SEPARATOR)
        time, heap, extra, stacks = (self.number(name) for name in SNAPSHOT_FIELDS[:4])
        kind = self.field("heap_tree")
        if kind not in TREE_KINDS:
            raise self.fail(
                f"heap_tree={kind}: expected one of {', '.join(TREE_KINDS)}", self.at - 1
            )
        tree = self.node(0) if kind != "empty" else None
        return Snapshot(number, time, heap, extra, stacks, kind, tree)

    def node(self, depth: int) -> Node:
        line = self.next_line()
        match = _NODE.match(line)
        if match is None or len(match["indent"]) != depth:
            raise self.fail(
                f"expected an allocation tree line at depth {depth}, found {_quote(line)}",
                self.at - 1,
            )
        children = tuple(self.node(depth + 1) for _ in range(int(match["children"])))
        return _describe(int(match["bytes"]), match["text"], children)

    def expect(self, wanted: str) -> None:
        line = self.next_line()
        if line != wanted:
            raise self.fail(f"expected '{wanted}', found {_quote(line)}", self.at - 1)

    def field(self, name: str) -> str:
        line = self.next_line()
        key, equals, value = line.partition("=")
        if key != name or not equals:
            raise self.fail(f"expected '{name}=...', found {_quote(line)}", self.at - 1)
        return value

    def number(self, name: str) -> int:
        return self.integer(name, self.field(name))

    def integer(self, name: str, value: str) -> int:
        if not value.isdigit():
            raise self.fail(f"{name}={value}: expected a whole number", self.at - 1)
        return int(value)

    def next_line(self, first: bool = False) -> str:
        if self.at >= len(self.lines):
            if first:
                raise self.fail("the file ends inside its header")
            raise _EndOfFile
        line = self.lines[self.at]
        self.at += 1
        return line


class _EndOfFile(Exception):
    """The text stopped in the middle of a snapshot."""


def _describe(size: int, text: str, children: tuple[Node, ...]) -> Node:
    below = _BELOW.match(text)
    if below:
        return Node(size, text, children, places=int(below["places"]))
    frame = _FRAME.match(text)
    if frame is None:  # the root: "(heap allocation functions) malloc/new/new[], ..."
        return Node(size, text, children)
    function = frame["function"]
    return Node(
        bytes=size,
        text=text,
        children=children,
        address=frame["address"],
        function=None if function == "???" else function,
        file=frame["file"],
        line=int(frame["line"]) if frame["line"] else None,
        module=frame["module"],
    )


def _quote(line: str) -> str:
    shown = line if len(line) <= 60 else line[:57] + "..."
    return repr(shown)


def node_to_json(node: Node) -> dict[str, Any]:
    """A tree as nested plain data (the profile JSON's `tree`)."""
    return {
        "bytes": node.bytes,
        "text": node.text,
        "address": node.address,
        "function": node.function,
        "file": node.file,
        "line": node.line,
        "module": node.module,
        "places": node.places,
        "children": [node_to_json(child) for child in node.children],
    }


def node_from_json(data: dict[str, Any]) -> Node:
    return Node(
        bytes=int(data["bytes"]),
        text=str(data["text"]),
        children=tuple(node_from_json(child) for child in data.get("children", ())),
        address=data.get("address"),
        function=data.get("function"),
        file=data.get("file"),
        line=data.get("line"),
        module=data.get("module"),
        places=data.get("places"),
    )


def to_json(massif: Massif) -> dict[str, Any]:
    """Everything the file said, as plain data; from_json reads it back."""
    return {
        "desc": massif.desc,
        "cmd": massif.cmd,
        "time_unit": massif.time_unit,
        "truncated": massif.truncated,
        "snapshots": [
            {
                "snapshot": snapshot.number,
                "time": snapshot.time,
                "mem_heap_B": snapshot.heap,
                "mem_heap_extra_B": snapshot.heap_extra,
                "mem_stacks_B": snapshot.stacks,
                "heap_tree": snapshot.tree_kind,
                "tree": node_to_json(snapshot.tree) if snapshot.tree else None,
            }
            for snapshot in massif.snapshots
        ],
    }


def from_json(data: dict[str, Any]) -> Massif:
    """The inverse of to_json. Raises KeyError/TypeError/ValueError on a wrong shape."""
    snapshots = tuple(
        Snapshot(
            number=int(item["snapshot"]),
            time=int(item["time"]),
            heap=int(item["mem_heap_B"]),
            heap_extra=int(item["mem_heap_extra_B"]),
            stacks=int(item["mem_stacks_B"]),
            tree_kind=str(item["heap_tree"]),
            tree=node_from_json(item["tree"]) if item.get("tree") else None,
        )
        for item in data["snapshots"]
    )
    return Massif(
        str(data["desc"]),
        str(data["cmd"]),
        str(data["time_unit"]),
        snapshots,
        bool(data["truncated"]),
    )
