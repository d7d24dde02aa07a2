"""Valgrind's XML (`--xml=yes`, protocol 4): one `<error>` or `<fatal_signal>` at a time.

The scan marks each element's start; this module parses the element alone
with a streaming parser, so a file cut off in the middle of an error keeps
every error before it and the parts of the cut one that arrived (marked
truncated). The meaning of each error is `memcheck.to_report`'s, the same as
for the text form.

    <error>
      <kind>InvalidWrite</kind> <what>Invalid write of size 1</what>
      <stack><frame><ip/><obj/><fn/><dir/><file/><line/></frame>...</stack>
      <auxwhat>Address 0x.. is 0 bytes after a block of size 40 alloc'd</auxwhat>
      <stack>...</stack>
    </error>

Leaks say `<xwhat><text>..</text><leakedbytes/><leakedblocks/></xwhat>`;
a fatal signal `<signame>SIGSEGV</signame><siaddr>0x0</siaddr><stack/>`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import cast

from harness.model import Frame, Report, Source, Unparsed
from harness.parse import scan
from harness.parse.memcheck import Error, to_report

_CLOSERS = {"<error>": "</error>", "<fatal_signal>": "</fatal_signal>"}

Found = tuple[list[Report], list[Unparsed], int]


def read_marker(text: str, marker: scan.Marker, limit: int, log: str) -> Found:
    """The report for the XML element at `marker`, and where the element ends."""
    opener = "<error>" if text.startswith("<error>", marker.offset) else "<fatal_signal>"
    closer = _CLOSERS[opener]
    close = text.find(closer, marker.offset, limit)
    end = limit if close < 0 else close + len(closer)
    element = _parse(text[marker.offset : end])
    if element is None:
        reason = "valgrind XML element cut short before its kind"
        return [], [Unparsed(log, marker.offset, reason)], end
    error = _fatal(element) if opener == "<fatal_signal>" else _error(element)
    if error is None:
        what = "cut short before its kind" if close < 0 else "with no kind"
        return [], [Unparsed(log, marker.offset, f"valgrind XML element {what}")], end
    error.complete = close >= 0
    report = to_report(error, Source(log, marker.offset, end - marker.offset, marker.pid))
    return ([report] if report else []), [], end


def _parse(chunk: str) -> ET.Element | None:
    """The element in `chunk`, as far as it goes: a cut element keeps its complete children."""
    parser: ET.XMLPullParser = ET.XMLPullParser(events=("start",))
    parser.feed(chunk)
    try:
        # A cut or mangled element queues its ParseError after the events
        # read before the fault: the element's start comes first.
        events = cast(Iterator[tuple[str, object]], parser.read_events())
        for _event, element in events:
            if isinstance(element, ET.Element):
                return element
    except ET.ParseError:
        return None
    return None


def _error(element: ET.Element) -> Error | None:
    kind = element.findtext("kind")
    if not kind:
        return None
    what = element.findtext("what") or element.findtext("xwhat/text") or kind
    error = Error(kind.strip(), what.strip())
    leaked = element.findtext("xwhat/leakedbytes"), element.findtext("xwhat/leakedblocks")
    if kind.startswith("Leak_") and leaked[0] and leaked[1]:
        error.leaked = (_direct_bytes(what, int(leaked[0])), int(leaked[1]))
    header: str | None = None
    for child in element:
        if child.tag in ("auxwhat", "xauxwhat"):
            header = (child.text if child.tag == "auxwhat" else child.findtext("text")) or ""
            header = header.strip()
            error.auxwhat.append(header)
        elif child.tag == "stack":
            frames = _frames(child)
            if frames:
                error.stacks.append((header, frames))
            header = None
    return error


def _fatal(element: ET.Element) -> Error | None:
    signal = element.findtext("signame")
    if not signal:
        return None
    signal = signal.strip()
    event = (element.findtext("event") or "").strip()
    error = Error("FatalSignal", f"Process terminating with default action of signal {signal}")
    error.signal = signal
    error.address = (element.findtext("siaddr") or "").strip() or None
    if event:
        error.auxwhat.append(event)
    stack = element.find("stack")
    if stack is not None:
        frames = _frames(stack)
        if frames:
            error.stacks.append((None, frames))
    return error


def _frames(stack: ET.Element) -> tuple[Frame, ...]:
    frames = []
    for index, frame in enumerate(stack.iter("frame")):
        ip = (frame.findtext("ip") or "").strip()
        function = (frame.findtext("fn") or "").strip() or None
        directory, name = frame.findtext("dir"), frame.findtext("file")
        line = (frame.findtext("line") or "").strip()
        file = f"{directory.strip()}/{name.strip()}" if directory and name else name
        frames.append(
            Frame(
                index,
                int(ip, 16) if ip.startswith("0x") and _is_hex(ip) else None,
                None if function == "???" else function,
                file,
                int(line) if line.isdigit() else None,
                None,
                (frame.findtext("obj") or "").strip() or None,
            )
        )
    return tuple(frames)


def _direct_bytes(what: str, leaked: int) -> int:
    """LeakSanitizer counts a block's own bytes; memcheck's total adds what it points to."""
    if " direct, " in what:
        direct = what.split("(", 1)[1].split(" direct", 1)[0]
        return int(direct.replace(",", "")) if direct.replace(",", "").isdigit() else leaked
    return leaked


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True
