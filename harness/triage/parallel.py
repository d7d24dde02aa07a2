"""Reading and parsing logs, spread over a process pool when there are many.

Each worker reads a chunk of files, hashes them (the key of a log that no
runs.jsonl names) and parses them; only the results travel back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from harness.model import ParseResult

# Below this many files a pool costs more (start-up, pickling) than it saves.
POOL_THRESHOLD = 64
CHUNK_FILES = 64


@dataclass(frozen=True, slots=True)
class Parsed:
    shown: str
    size: int
    sha256: str | None
    result: ParseResult
    error: str | None = None


def parse_data(data: bytes, shown: str) -> Parsed:
    from harness.parse import parse_bytes

    digest = hashlib.sha256(data).hexdigest()
    return Parsed(shown, len(data), digest, parse_bytes(data, shown))


def parse_one(path: str, shown: str) -> Parsed:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return Parsed(shown, 0, None, ParseResult(), f"cannot read: {exc.strerror or exc}")
    return parse_data(data, shown)


def _parse_chunk(items: Sequence[tuple[str, str]]) -> list[Parsed]:
    return [parse_one(path, shown) for path, shown in items]


def parse_many(items: Sequence[tuple[str, str]], workers: int = 2) -> list[Parsed]:
    """(path, shown) pairs → Parsed, in the same order."""
    if workers <= 1 or len(items) < POOL_THRESHOLD:
        return _parse_chunk(items)
    chunks = [items[i : i + CHUNK_FILES] for i in range(0, len(items), CHUNK_FILES)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [parsed for chunk in pool.map(_parse_chunk, chunks) for parsed in chunk]
