"""The report view: what every file renderer (SARIF, HTML, JUnit) shows, built once.

`build_view` is pure: findings, commit and project in, a frozen `ReportView` out.
It orders the findings, picks each one's representative report and its place in
the project's own sources, so the writers only format.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness import model

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}

# Statuses under which a finding still needs someone's attention. None is the
# status of a finding triaged without the store: nobody has looked at it yet.
ACTIVE_STATUSES = frozenset({"new", "open", "regressed", None})

# Absolute prefixes that hold the system's and the compiler's code, never the project's.
SYSTEM_PREFIXES = ("/usr/", "/lib/", "/lib64/", "/lib32/", "/opt/", "/build/glibc", "/build/eglibc")

# Path fragments of sanitizer runtimes and the C/C++ runtime, whose frames sit on
# top of most stacks (interceptors, allocators) but are not where the bug is.
RUNTIME_FRAGMENTS = (
    "compiler-rt/",
    "libsanitizer/",
    "sanitizer_common/",
    "/asan/",
    "/lsan/",
    "/ubsan/",
    "/msan/",
    "/tsan/",
    "libstdc++",
    "libc++",
    "csu/libc-start",
)
RUNTIME_FUNCTION_PREFIXES = ("__asan", "__lsan", "__ubsan", "__msan", "__tsan", "__interceptor_")


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file. `relative` is True when `path` is relative to the root."""

    path: str
    relative: bool
    line: int | None
    column: int | None
    function: str | None


@dataclass(frozen=True, slots=True)
class FindingView:
    """One finding as reports show it."""

    finding: model.Finding
    status: str | None
    first_seen: str | None
    count: int
    representative: model.Report | None
    location: Location | None

    @property
    def active(self) -> bool:
        """Whether the finding still fails a gate (new, open, regressed or untracked)."""
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the harness could not do for this report (a build that failed):
    shown before the findings, never left out. `detail` is the tool's own output."""

    title: str
    detail: str


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything a report file shows, in display order."""

    project: str | None
    commit: str | None
    root: str
    generated: str
    findings: tuple[FindingView, ...]
    # a headline above the findings (the night's counts), and what went wrong
    summary: str | None = None
    problems: tuple[Problem, ...] = ()

    def counts(self) -> dict[str, int]:
        """How many findings have each status (`untracked` for None)."""
        counts: dict[str, int] = {}
        for item in self.findings:
            key = item.status or "untracked"
            counts[key] = counts.get(key, 0) + 1
        return counts


def build_view(
    findings: Sequence[model.Finding],
    *,
    commit: str | None,
    project: str | None,
    root: str,
    first_seen: Mapping[str, str | None] | None = None,
    generated: str,
    counts: Mapping[str, int] | None = None,
    summary: str | None = None,
    problems: Sequence[Problem] = (),
) -> ReportView:
    """Build the view of `findings`: most severe first, then by id, so output is stable.

    `counts` gives a finding's number of reports when `finding.reports` holds only
    some of them (a report from the store lists the latest few)."""
    seen = first_seen or {}
    known = counts or {}
    items = tuple(
        FindingView(
            finding=finding,
            status=finding.status,
            first_seen=seen.get(finding.id),
            count=known.get(finding.id, finding.count),
            representative=finding.reports[0] if finding.reports else None,
            location=locate(finding, root),
        )
        for finding in sorted(findings, key=_order)
    )
    return ReportView(
        project=project,
        commit=commit,
        root=root,
        generated=generated,
        findings=items,
        summary=summary,
        problems=tuple(problems),
    )


def _order(finding: model.Finding) -> tuple[int, str, str]:
    return (SEVERITY_RANK.get(finding.severity, len(SEVERITY_RANK)), finding.kind, finding.id)


def deciding_stack(report: model.Report) -> model.Stack | None:
    """The stack a report is judged by: the allocation stack for leaks, else the crash stack."""
    preferred = "alloc" if report.kind == "leak" else "crash"
    return report.stack(preferred) or (report.stacks[0] if report.stacks else None)


def locate(finding: model.Finding, root: str) -> Location | None:
    """The first frame of the finding in the project's own sources, or failing that any
    frame with a source file outside the system and runtimes; None if there is none."""
    candidates = list(_candidate_frames(finding))
    for strict in (True, False):
        for function, file, line, column in candidates:
            location = project_location(file, root, strict=strict)
            if location is not None:
                if function and function.startswith(RUNTIME_FUNCTION_PREFIXES):
                    continue
                path, relative = location
                return Location(path, relative, line, column, function)
    return None


def _candidate_frames(finding: model.Finding):
    report = finding.reports[0] if finding.reports else None
    stack = deciding_stack(report) if report else None
    for frame in stack.frames if stack else ():
        yield frame.function, frame.file, frame.line, frame.column
    for sig in finding.frames:
        yield sig.function, sig.file, sig.line, None


def project_location(file: str | None, root: str, *, strict: bool) -> tuple[str, bool] | None:
    """(path, relative) when `file` is project code: inside `root`, or relative and not a
    runtime path. With strict=False, absolute paths outside the root and the system count too."""
    if not file or is_runtime_path(file):
        return None
    if not file.startswith("/"):
        return _strip_parents(posixpath.normpath(file)), True
    path = posixpath.normpath(file)
    base = posixpath.normpath(root) if root else "/"
    if base != "/" and path.startswith(base + "/"):
        return posixpath.relpath(path, base), True
    if strict or path.startswith(SYSTEM_PREFIXES):
        return None
    return path, False


def is_runtime_path(file: str) -> bool:
    """Whether `file` belongs to a sanitizer runtime, the C/C++ runtime or the system."""
    return file.startswith(SYSTEM_PREFIXES) or any(part in file for part in RUNTIME_FRAGMENTS)


def _strip_parents(path: str) -> str:
    # Build systems print paths relative to an output folder (`../../src/x.cc` from
    # out/Release); the part after the leading `..` is the path in the repository.
    parts = path.split("/")
    while parts and parts[0] in ("..", "."):
        parts.pop(0)
    return "/".join(parts) or path


def format_frame(frame: model.Frame) -> str:
    """One frame as one line: `#3 function file:line:column (module+0xoffset)`."""
    text = f"#{frame.index} {frame.function or '??'}"
    if frame.file:
        text += f" {frame.file}"
        if frame.line is not None:
            text += f":{frame.line}"
            if frame.column is not None:
                text += f":{frame.column}"
    if frame.module:
        offset = f"+{frame.module_offset:#x}" if frame.module_offset is not None else ""
        text += f" ({frame.module}{offset})"
    elif frame.pc is not None and not frame.file:
        text += f" ({frame.pc:#x})"
    return text


def format_stack(stack: model.Stack) -> str:
    """A stack as text: a heading line naming its role and thread, then one frame per line."""
    heading = stack.header or stack.role + (f" (thread {stack.thread})" if stack.thread else "")
    return "\n".join([heading, *("  " + format_frame(frame) for frame in stack.frames)])
