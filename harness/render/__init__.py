"""Output formats. Each is a pure `build(result) -> view` and a `write(view, out)`.

table, json and md are views of one triage; html, sarif and junit go through
the shared report view (harness.render.view) that nightly reports use too.
A format's module is imported when the format is chosen: a command writes one.
"""

from __future__ import annotations

import enum
import importlib
from typing import IO, Any

from harness.pipeline import TriageResult
from harness.store import utc_now


class _TriageView:
    """table, json and md: a module with build(result) and write(view, out)."""

    def __init__(self, module: str):
        self.module = module

    def build(self, result: TriageResult) -> Any:
        return importlib.import_module(self.module).build(result)

    def write(self, view: Any, out: IO[str]) -> None:
        importlib.import_module(self.module).write(view, out)


class _ReportFile:
    """html, sarif and junit: the shared ReportView, then that format's writer."""

    def __init__(self, module: str, function: str):
        self.module = module
        self.function = function

    def build(self, result: TriageResult) -> Any:
        from harness.render.view import build_view

        return build_view(
            result.findings,
            commit=result.commit.sha,
            project=None,
            root=result.root,
            first_seen=result.first_seen,
            generated=utc_now(),
        )

    def write(self, view: Any, out: IO[str]) -> None:
        render = getattr(importlib.import_module(self.module), self.function)
        out.write(render(view))


class Format(enum.Enum):
    TABLE = "table"
    JSON = "json"
    MD = "md"
    HTML = "html"
    SARIF = "sarif"
    JUNIT = "junit"

    def render(self, result: TriageResult, out: IO[str]) -> None:
        """Build this format's view of `result` and write it to `out`."""
        writer = _WRITERS[self]
        writer.write(writer.build(result), out)


_WRITERS: dict[Format, _TriageView | _ReportFile] = {
    Format.TABLE: _TriageView("harness.render.table"),
    Format.JSON: _TriageView("harness.render.json"),
    Format.MD: _TriageView("harness.render.markdown"),
    Format.HTML: _ReportFile("harness.render.html", "render_html"),
    Format.SARIF: _ReportFile("harness.render.sarif", "render_sarif"),
    Format.JUNIT: _ReportFile("harness.render.junit", "render_junit"),
}

__all__ = ["Format"]
