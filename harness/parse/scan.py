"""The cheap boundary scan: where in a log do reports start?

Most of a log is program output, shadow-byte dumps and legends that no
grammar needs to see. Every report line that starts something contains
`Sanitizer` (`==12==ERROR: AddressSanitizer: ...`, `LeakSanitizer has
encountered a fatal error`, `AddressSanitizer: hard rss limit exhausted`),
except LeakSanitizer's leak blocks, which contain `leak of `. `str.find` finds
those words at memory speed; only the lines around a hit are looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# What a start line says after its optional `==pid==` prefix. Searched (not
# matched) in the line: a program that printed without a newline leaves the
# report's first line glued to its output (`abc==12==ERROR: ...`).
_START = re.compile(
    r"(?:==(?P<pid>\d+)==[ \t]*)?"
    r"(?:(?P<error>ERROR: (?:AddressSanitizer|LeakSanitizer)\b)"
    r"|(?P<rss>(?:AddressSanitizer|LeakSanitizer): hard rss limit exhausted)"
    r"|(?P<fatal>LeakSanitizer has encountered a fatal error)"
    r"|(?P<check>(?:AddressSanitizer|LeakSanitizer|Sanitizer) CHECK failed))"
)
_LEAK_BLOCK = re.compile(r"(?:==(?P<pid>\d+)==)?[ \t]*(?:Direct|Indirect) leak of \d")

# Marker kinds. `leak-block` only counts where no LeakSanitizer header covers
# it (a log whose beginning was cut off).
ERROR = "error"
RSS = "rss"
FATAL = "fatal"
CHECK = "check"
LEAK_BLOCK = "leak-block"


@dataclass(frozen=True, slots=True)
class Marker:
    """A line that starts a report: `offset` is where its text begins."""

    offset: int
    kind: str
    pid: int | None


def line_bounds(text: str, pos: int) -> tuple[int, int]:
    """Start and end (the newline, or len) of the line holding `pos`."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, (len(text) if end < 0 else end)


def _hits(text: str, word: str) -> Iterator[tuple[int, int]]:
    """Bounds of each line containing `word`, each line once."""
    pos = text.find(word)
    while pos >= 0:
        start, end = line_bounds(text, pos)
        yield start, end
        pos = text.find(word, end)


def find_markers(text: str) -> list[Marker]:
    """Every report start in `text`, in order."""
    markers: list[Marker] = []
    for start, end in _hits(text, "Sanitizer"):
        found = _START.search(text, start, end)
        if found is None:
            continue
        kind = next(name for name in (ERROR, RSS, FATAL, CHECK) if found.group(name))
        pid = found.group("pid")
        markers.append(Marker(found.start(), kind, int(pid) if pid else None))
    for start, end in _hits(text, "leak of "):
        found = _LEAK_BLOCK.match(text, start, end)
        if found is not None:
            pid = found.group("pid")
            markers.append(Marker(start, LEAK_BLOCK, int(pid) if pid else None))
    markers.sort(key=lambda marker: marker.offset)
    return markers


def iter_lines(text: str, pos: int, limit: int) -> Iterator[tuple[int, int, str]]:
    """(start, end, line) for each line in text[pos:limit]; `end` is past the newline.

    The line is stripped of trailing whitespace, so CRLF logs read like LF ones.
    """
    while pos < limit:
        newline = text.find("\n", pos, limit)
        end = limit if newline < 0 else newline + 1
        yield pos, end, text[pos:end].rstrip()
        pos = end
