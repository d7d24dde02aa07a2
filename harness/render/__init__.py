"""Output formats. Each is a pure `build(result) -> view` and a `write(view, out)`.

table, json and md are views of one triage; html, sarif and junit go through
the shared report view (harness.render.view) that nightly reports use too.
"""

from __future__ import annotations

import enum
from typing import IO, Any

from harness.pipeline import TriageResult
from harness.render import json, markdown, table
from harness.store import utc_now


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
            generated=utc_now(),
        )

    def write(self, view: Any, out: IO[str]) -> None:
        import importlib

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
        writer: Any = _WRITERS[self]
        writer.write(writer.build(result), out)


_WRITERS: dict[Format, Any] = {
    Format.TABLE: table,
    Format.JSON: json,
    Format.MD: markdown,
    Format.HTML: _ReportFile("harness.render.html", "render_html"),
    Format.SARIF: _ReportFile("harness.render.sarif", "render_sarif"),
    Format.JUNIT: _ReportFile("harness.render.junit", "render_junit"),
}

__all__ = ["Format"]
