"""Symbols already looked up: in memory for one triage, and on disk by build-id.

Only answers for binaries with a build-id go to disk (`.harness/symbols.json`):
a build-id names one exact build, so its answers never go stale. A binary
without one is known by path, size and mtime, which a rebuild in the same
second could fool; those stay in memory.

The file is rewritten whole (through a temporary file and a rename, merged
with what other processes saved meanwhile) and dropped when it grows past
MAX_ENTRIES or cannot be read: it is a cache, a miss only costs time.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from harness.symbolize.backends import Answer, Place
from harness.symbolize.locate import Identity

CACHE_VERSION = 1
MAX_ENTRIES = 200_000

Table = dict[str, dict[str, list[list[Any]]]]  # build-id → hex offset → places


class SymbolCache:
    def __init__(self, path: Path | None = None):
        self.path = path
        self._memory: dict[tuple[str, int], Answer] = {}
        self._fresh: Table = {}
        self._loaded = path is None

    def get(self, identity: Identity, offset: int) -> Answer | None:
        if not self._loaded:
            self._load()
        return self._memory.get((identity.key, offset))

    def put(self, identity: Identity, offset: int, answer: Answer) -> None:
        self._memory[(identity.key, offset)] = answer
        if identity.durable and self.path is not None:
            self._fresh.setdefault(identity.key, {})[hex(offset)] = [_row(p) for p in answer]

    def save(self) -> None:
        """Write the answers found since loading, merged with the file's."""
        if self.path is None or not self._fresh:
            return
        table = _read(self.path)
        for key, entries in self._fresh.items():
            table.setdefault(key, {}).update(entries)
        if sum(len(entries) for entries in table.values()) > MAX_ENTRIES:
            table = self._fresh
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".symbols-", dir=self.path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"version": CACHE_VERSION, "symbols": table}, out, separators=(",", ":"))
        os.replace(temporary, self.path)
        self._fresh = {}

    def _load(self) -> None:
        self._loaded = True
        if self.path is None:
            return
        for key, entries in _read(self.path).items():
            for offset, rows in entries.items() if isinstance(entries, dict) else ():
                try:
                    places = tuple(Place(*row) for row in rows if len(row) == 4)
                    self._memory[(key, int(offset, 16))] = places
                except (TypeError, ValueError):
                    continue  # an entry this version cannot read is a miss


def _row(place: Place) -> list[Any]:
    return [place.function, place.file, place.line, place.column]


def _read(path: Path) -> Table:
    """The file's table; empty when it is missing, unreadable or of another version."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    table = data.get("symbols")
    return table if isinstance(table, dict) else {}
