"""Reading and parsing logs, spread over worker processes when there are many.

Each worker reads a chunk of files, hashes them (the key of a log that no
runs.jsonl names), parses them, and reduces every report to plain values:
its place, its fields, the hash of its stacks (pcs left out, as the store
keeps them) and its signature id. Only those travel back, with the text of
each distinct stacks and each distinct signature once per worker: pickling
the parsed Report objects (a hundred thousand frames for 20 MB of logs)
would cost more than the parsing the second process saves.

Frames printed as module+offset are symbolized in the worker, before the
signature is taken, so a log written with symbolize=0 lands on the finding
id of the same crash symbolized by the runtime. Each worker keeps one
Symbolizer: it starts a symbolizer process only for a frame whose answer it
does not hold yet, so logs the runtime already symbolized cost one pass
over their frames.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from harness.model import ParseResult, Report, Unparsed
from harness.store import rows
from harness.symbolize import Symbolizer, SymbolizeSettings, symbolize_result
from harness.triage.signature import DEFAULT_DEPTH, Signature, leak_kind, signature

# Below this many files a pool costs more (start-up, pickling) than it saves.
POOL_THRESHOLD = 64
# A chunk costs one round trip (each stacks text and signature travels once
# per worker, whatever the chunks); small chunks keep the workers finishing
# together, so the last chunk leaves no core idle for long.
MIN_CHUNK_FILES = 64
MAX_CHUNK_FILES = 256
CHUNKS_PER_WORKER = 16


@dataclass(frozen=True, slots=True)
class Parsed:
    shown: str
    size: int
    sha256: str | None
    result: ParseResult
    error: str | None = None


# One report reduced to plain values, in this order:
# offset, length, pid, tool, kind, access, access_size, address, truncated,
# leak ("direct"/"indirect" for leaks, as the store keeps it), headline,
# stacks hash, signature id, and a leak's bytes and objects.
ReportRow = tuple[
    int, int, "int | None", str, str, "str | None", "int | None", "str | None", bool,
    "str | None", str, str, str, "int | None", "int | None",
]  # fmt: skip


_NO_SIZE = (None, None)  # the bytes and objects of a report that is no leak


@dataclass(frozen=True, slots=True)
class Digested:
    """One log, parsed and reduced (see ReportRow)."""

    shown: str
    size: int
    sha256: str | None
    rows: tuple[ReportRow, ...]
    unparsed: tuple[Unparsed, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    """The logs of one chunk, with the stacks texts (hash → JSON) and the
    signatures (id → Signature) its worker had not sent before, and what its
    symbolizer could not do (notes, each once)."""

    logs: tuple[Digested, ...]
    stacks: dict[str, str] = field(default_factory=dict)
    signatures: dict[str, Signature] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


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


def symbolized(parsed: Parsed, symbolizer: Symbolizer | None) -> Parsed:
    """`parsed` with its module+offset frames symbolized; the same value when
    there is no symbolizer or no frame needs a symbol."""
    if symbolizer is None:
        return parsed
    result = symbolize_result(parsed.result, symbolizer)
    return parsed if result is parsed.result else replace(parsed, result=result)


class Digester:
    """Reduces parsed logs to Digested, computing each distinct stacks text and
    signature once (the same bug recurs across thousands of logs with only
    pcs and addresses changed)."""

    def __init__(self, ignore: Sequence[str] = (), depth: int = DEFAULT_DEPTH):
        self.ignore = tuple(ignore)
        self.depth = depth
        self._hashes: dict[rows.StacksKey, str] = {}
        self._ids: dict[tuple[object, ...], str] = {}
        self._stacks: dict[str, str] = {}
        self._signatures: dict[str, Signature] = {}

    def digest(self, parsed: Parsed) -> Digested:
        result = parsed.result
        found = tuple(self._row(report) for report in result.reports)
        return Digested(
            parsed.shown, parsed.size, parsed.sha256, found, result.unparsed, parsed.error
        )

    def drain(self) -> tuple[dict[str, str], dict[str, Signature]]:
        """The stacks texts and signatures met since the last drain."""
        fresh = (self._stacks, self._signatures)
        self._stacks, self._signatures = {}, {}
        return fresh

    def _row(self, r: Report) -> ReportRow:
        content = rows.stacks_key(r.stacks)
        digest = self._hashes.get(content)
        if digest is None:
            text = rows.key_json(content)
            digest = self._hashes[content] = rows.stacks_hash(text)
            self._stacks[digest] = text
        # Equal stacks content (every field a signature reads), kind, access
        # and leak kind make equal signatures.
        sig_key = (digest, r.kind, r.access, leak_kind(r))
        sig_id = self._ids.get(sig_key)
        if sig_id is None:
            sig = signature(r, self.ignore, self.depth)
            sig_id = self._ids[sig_key] = sig.id
            self._signatures[sig.id] = sig
        leak = r.details.get("leak") if r.kind == "leak" else None
        size = (r.details.get("bytes"), r.details.get("objects")) if leak else _NO_SIZE
        s = r.source
        return (
            (s.offset, s.length, s.pid, r.tool, r.kind, r.access, r.access_size, r.address)
            + (r.truncated, leak, r.headline, digest, sig_id) + size
        )  # fmt: skip


# The worker's own Digester and Symbolizer, made by _start in each worker process.
_digester: Digester | None = None
_symbolizer: Symbolizer | None = None


def _start(ignore: tuple[str, ...], depth: int, settings: SymbolizeSettings | None) -> None:
    global _digester, _symbolizer
    _digester = Digester(ignore, depth)
    _symbolizer = settings.open() if settings is not None else None


def _digest_chunk(items: Sequence[tuple[str, str]]) -> Batch:
    return _digest_with(_digester or Digester(), items, _symbolizer)


def _digest_with(
    digester: Digester, items: Sequence[tuple[str, str]], symbolizer: Symbolizer | None
) -> Batch:
    if symbolizer is None:
        logs = tuple(digester.digest(parse_one(path, shown)) for path, shown in items)
        return Batch(logs, *digester.drain())
    try:
        logs = tuple(
            digester.digest(symbolized(parse_one(path, shown), symbolizer)) for path, shown in items
        )
    finally:
        # Stops the symbolizer process and saves the cache file: a pool ends
        # its workers without notice. The answers stay in memory for the
        # worker's next chunk, which mostly holds the same offsets again.
        symbolizer.close()
    return Batch(logs, *digester.drain(), symbolizer.notes)


def digest_many(
    items: Sequence[tuple[str, str]],
    workers: int = 2,
    ignore: Sequence[str] = (),
    depth: int = DEFAULT_DEPTH,
    symbolize: SymbolizeSettings | None = None,
) -> Iterator[Batch]:
    """(path, shown) pairs → Batches, in the same order, as workers finish them;
    frames symbolized with `symbolize` (None: left as printed)."""
    if workers <= 1 or len(items) < POOL_THRESHOLD:
        symbolizer = symbolize.open() if symbolize is not None else None
        yield _digest_with(Digester(ignore, depth), items, symbolizer)
        return
    size = len(items) // (workers * CHUNKS_PER_WORKER) + 1
    size = max(MIN_CHUNK_FILES, min(MAX_CHUNK_FILES, size))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with _pool(workers, (tuple(ignore), depth, symbolize)) as pool:
        yield from pool.imap(_digest_chunk, chunks)


def _pool(
    workers: int, initargs: tuple[tuple[str, ...], int, SymbolizeSettings | None]
) -> multiprocessing.pool.Pool:
    # fork where there is one: workers start at once, with what the parent imported.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return context.Pool(workers, initializer=_start, initargs=initargs)
