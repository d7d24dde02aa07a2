"""Symbolizer: frames printed as `(module+0xoff)` get their function and file:line back.

Only frames the signature could use are looked up: a frame already named is
left as printed, and frames of modules the signature drops whatever their
name (the sanitizer runtime, libc, the loader) stay as they are, unless
`everything=True`. One frame that the symbolizer expands into inlined frames
becomes those frames, innermost first, renumbered, exactly as the runtime
prints them: that is what keeps a log symbolized here on the finding id of
the same crash symbolized by the runtime.

Each problem (binary not found, build-id mismatch, no symbolizer, a
symbolizer that failed) is noted once in `notes`; the frames concerned keep
module+offset and their report is flagged `details["unsymbolized"]`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from harness.errors import ToolError
from harness.model import Frame, ParseResult, Report, Stack
from harness.symbolize.backends import Answer, Backend, Place, find_tool, open_backend
from harness.symbolize.cache import SymbolCache
from harness.symbolize.locate import Located, Locator, PathMap
from harness.symbolize.wanted import is_unsymbolized, needs_symbol


class Symbolizer:
    """Offline symbolization for one triage (a context manager: it may hold a
    symbolizer process and an on-disk cache to save)."""

    def __init__(
        self,
        path_map: Mapping[str, str] | None = None,
        search_dirs: Sequence[str | Path] = (),
        *,
        tool: str | None = None,
        cache_file: Path | None = None,
        ignore: Sequence[str] = (),
        everything: bool = False,
    ):
        self.locator = Locator(PathMap.of(path_map or {}), [Path(d) for d in search_dirs])
        self.ignore = tuple(ignore)
        self.everything = everything
        self._tool = tool
        self._cache = SymbolCache(cache_file)
        self._backend: Backend | None = None
        self._failed: set[str] = set()
        self._notes: dict[str, None] = {}

    def __enter__(self) -> Symbolizer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def notes(self) -> tuple[str, ...]:
        """What kept frames unsymbolized, each said once, in the order met."""
        return tuple(self._notes)

    @property
    def backend_name(self) -> str | None:
        return self._backend.name if self._backend else None

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        self._cache.save()

    def wanted(self, frame: Frame) -> bool:
        if self.everything:
            return frame.function is None and bool(frame.module) and frame.module_offset is not None
        return needs_symbol(frame, self.ignore)

    def prefetch(self, frames: Iterable[Frame]) -> None:
        """Look up every wanted frame not in the cache, one batch per binary."""
        todo: dict[str, tuple[Located, dict[int, None]]] = {}
        for frame in frames:
            if not self.wanted(frame):
                continue
            located = self._locate(frame)
            offset = frame.module_offset
            if located.path is None or located.identity is None or offset is None:
                continue
            if located.path in self._failed:
                continue
            if self._cache.get(located.identity, offset) is not None:
                continue
            todo.setdefault(located.path, (located, {}))[1][offset] = None
        for path, (located, offsets) in todo.items():
            self._lookup(path, located, list(offsets))

    def frames(self, frames: Sequence[Frame]) -> tuple[Frame, ...]:
        """The frames with module+offset ones symbolized where the binary is at
        hand; inlined expansions renumber the frames from the first index."""
        self.prefetch(frames)
        out: list[Frame] = []
        expanded = False
        for frame in frames:
            answer = self._answer(frame)
            if not answer:
                out.append(frame)
                continue
            expanded = expanded or len(answer) > 1
            out.extend(_frame_at(frame, place) for place in answer)
        if not expanded:
            return tuple(out)
        start = frames[0].index if frames else 0
        return tuple(replace(frame, index=start + n) for n, frame in enumerate(out))

    def _answer(self, frame: Frame) -> Answer:
        if not self.wanted(frame) or frame.module_offset is None:
            return ()
        located = self._locate(frame)
        if located.identity is None:
            return ()
        return self._cache.get(located.identity, frame.module_offset) or ()

    def _locate(self, frame: Frame) -> Located:
        located = self.locator.locate(frame.module or "", frame.build_id)
        if located.problem:
            self._note(f"{located.problem}: its frames keep module+offset")
        return located

    def _lookup(self, path: str, located: Located, offsets: list[int]) -> None:
        backend = self._open()
        if backend is None or located.identity is None:
            return
        try:
            answers = backend.lookup(path, offsets)
        except ToolError as exc:
            self._failed.add(path)
            self._note(f"{backend.name} failed on {path}: {exc}; its frames keep module+offset")
            backend.close()
            self._backend = None  # started afresh for the next binary
            return
        for offset, answer in zip(offsets, answers, strict=True):
            self._cache.put(located.identity, offset, answer)

    def _open(self) -> Backend | None:
        if self._backend is None:
            tool = find_tool(self._tool)
            if tool is None:
                wanted = self._tool or "llvm-symbolizer or addr2line"
                self._note(f"no symbolizer found ({wanted}); frames keep module+offset")
                return None
            try:
                self._backend = open_backend(tool)
            except ToolError as exc:
                self._note(f"{exc}; frames keep module+offset")
                return None
        return self._backend

    def _note(self, text: str) -> None:
        self._notes.setdefault(text, None)


def _frame_at(frame: Frame, place: Place) -> Frame:
    return replace(
        frame, function=place.function, file=place.file, line=place.line, column=place.column
    )


def symbolize_report(report: Report, symbolizer: Symbolizer) -> Report:
    """The report with its frames symbolized (a new Report; the same one when
    nothing changed), flagged `details["unsymbolized"]` when its deciding stack
    still holds module+offset frames."""
    symbolizer.prefetch(frame for stack in report.stacks for frame in stack.frames)
    stacks = tuple(_stack(stack, symbolizer) for stack in report.stacks)
    changed = any(new is not old for new, old in zip(stacks, report.stacks, strict=True))
    result = replace(report, stacks=stacks) if changed else report
    if is_unsymbolized(result, symbolizer.ignore) and not result.details.get("unsymbolized"):
        result = replace(result, details={**result.details, "unsymbolized": True})
    return result


def _stack(stack: Stack, symbolizer: Symbolizer) -> Stack:
    if not any(symbolizer.wanted(frame) for frame in stack.frames):
        return stack
    frames = symbolizer.frames(stack.frames)
    return stack if frames == stack.frames else replace(stack, frames=frames)


def symbolize_result(result: ParseResult, symbolizer: Symbolizer) -> ParseResult:
    """symbolize_report over a parsed log, one look-up batch per binary for the
    whole log; the same ParseResult when no frame needs a symbol."""
    frames = [f for r in result.reports for s in r.stacks for f in s.frames if symbolizer.wanted(f)]
    if not frames:
        return result
    symbolizer.prefetch(frames)
    reports = tuple(symbolize_report(report, symbolizer) for report in result.reports)
    return replace(result, reports=reports)
