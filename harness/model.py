"""The shared vocabulary: Frame, Stack, Report, Finding, Job and Run.

Every value here is frozen: a Report is never edited after parsing and a
Finding is built, not patched; new values come from `dataclasses.replace`.

Kinds are one vocabulary shared by all tools: the sanitizers' own names in
lower case with hyphens (`heap-buffer-overflow`, `heap-use-after-free`,
`double-free`, `bad-free`, ...), `segv`/`bus`/`fpe`/`abrt`/`ill` for signals,
`null-dereference` for a SEGV in the zero page, and `leak` for every leak
(`details["leak"]` is `direct` or `indirect`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NamedTuple

TOOLS = ("asan", "lsan", "ubsan", "msan", "tsan", "memcheck", "ltrace", "jemalloc")

# Stack roles. `crash` is where the error happened; `alloc` where the memory
# involved was allocated; `free` where it was freed; `previous` a first free
# (double-free) or earlier access (races); `thread` where a thread was
# created; `origin` where an uninitialized value came from; `mutex` where a
# mutex named in a ThreadSanitizer report was created.
ROLES = ("crash", "alloc", "free", "thread", "previous", "origin", "mutex")

ACCESSES = ("READ", "WRITE")


# The bytes and objects a finding's reports leaked in all, each None where
# no report says (a finding that is no leak, a memcheck leak without sizes).
Leaked = tuple[int | None, int | None]
NOTHING_LEAKED: Leaked = (None, None)


def add_leaked(one: Leaked, other: Leaked) -> Leaked:
    return (_plus(one[0], other[0]), _plus(one[1], other[1]))


def _plus(one: int | None, other: int | None) -> int | None:
    if one is None:
        return other
    return one if other is None else one + other


def printable_path(path: str) -> str:
    """A file name as text that can be shown and stored: bytes that are not
    UTF-8 (which Python keeps as lone surrogates) become `\\xNN` escapes.
    The name itself stays what opens the file."""
    if path.isascii():
        return path
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


@dataclass(frozen=True, slots=True)
class Frame:
    """One stack frame as printed. `function` is None when unsymbolized."""

    index: int
    pc: int | None = None
    function: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    module: str | None = None
    module_offset: int | None = None
    build_id: str | None = None


@dataclass(frozen=True, slots=True)
class Stack:
    role: str
    frames: tuple[Frame, ...]
    thread: str | None = None
    header: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """Where a report lies in its log: the raw text is one seek away."""

    log: str
    offset: int
    length: int
    pid: int | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """One sanitizer error as printed."""

    tool: str
    kind: str
    source: Source
    headline: str
    access: str | None = None
    access_size: int | None = None
    address: str | None = None
    thread: str | None = None
    stacks: tuple[Stack, ...] = ()
    summary: str | None = None
    truncated: bool = False
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def stack(self, role: str) -> Stack | None:
        """The first stack with this role, or None."""
        for stack in self.stacks:
            if stack.role == role:
                return stack
        return None


@dataclass(frozen=True, slots=True)
class Unparsed:
    """Something that looked like a report but could not be read, and why."""

    log: str
    offset: int
    reason: str


@dataclass(frozen=True, slots=True)
class ParseResult:
    reports: tuple[Report, ...] = ()
    unparsed: tuple[Unparsed, ...] = ()


@dataclass(frozen=True, slots=True)
class SignatureFrame:
    """A frame as the signature used it: `key` is the normalized name."""

    key: str
    function: str | None
    file: str | None
    line: int | None
    module: str | None


class ReportRef(NamedTuple):
    """A report of a log the store already holds, by place only: what a triage
    of an unchanged corpus lists without reading the report back whole.
    `log` is the path as given (like Source.log); `input` that of its job.
    The fields are those of a report in the JSON output, in its order."""

    log: str
    offset: int
    pid: int | None
    address: str | None
    truncated: bool
    input: str | None
    tool: str


_REF_LOG = itemgetter(0)


@dataclass(frozen=True, slots=True)
class Finding:
    """A cluster of reports sharing one signature.

    `reports` are whole or light Report objects (the first is the one shown);
    `stored` the other reports of the cluster that the store already held,
    by place only (ReportRef). `count` counts both. A leak finding's
    `leak_bytes` and `leak_objects` are the totals of all of them (None where
    no report says, and for findings that are no leak).
    """

    id: str
    signature_version: int
    title: str
    kind: str
    access: str | None
    access_size: int | None
    severity: str
    security: bool
    tools: tuple[str, ...]
    frames: tuple[SignatureFrame, ...]
    reports: tuple[Report, ...]
    leak: str | None = None
    status: str | None = None
    stored: tuple[ReportRef, ...] = ()
    leak_bytes: int | None = None
    leak_objects: int | None = None

    @property
    def count(self) -> int:
        """How many reports the cluster has: Report objects and stored references."""
        return len(self.reports) + len(self.stored)

    def logs(self) -> list[str]:
        """The logs (paths as given) its reports lie in, each once, sorted."""
        if not self.stored:
            return list(dict.fromkeys(r.source.log for r in self.reports))
        found = set(map(_REF_LOG, self.stored))
        found.update(r.source.log for r in self.reports)
        return sorted(found)


@dataclass(frozen=True, slots=True)
class Job:
    """One line of runs.jsonl: one (target, input, repeat) execution."""

    run_id: str
    job: int
    target: str
    profile: str
    compiler: str
    input: str | None
    input_sha256: str | None
    repeat: int
    argv: tuple[str, ...]
    exit_code: int | None
    signal: str | None
    timed_out: bool
    oom: bool
    seconds: float
    max_rss_kb: int | None
    logs: tuple[str, ...]
    commit: str | None
    dirty: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "job": self.job,
            "target": self.target,
            "profile": self.profile,
            "compiler": self.compiler,
            "input": self.input,
            "input_sha256": self.input_sha256,
            "repeat": self.repeat,
            "argv": list(self.argv),
            "exit_code": self.exit_code,
            "signal": self.signal,
            "timed_out": self.timed_out,
            "oom": self.oom,
            "seconds": self.seconds,
            "max_rss_kb": self.max_rss_kb,
            "logs": list(self.logs),
            "commit": self.commit,
            "dirty": self.dirty,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        return cls(
            run_id=str(data["run_id"]),
            job=int(data["job"]),
            target=str(data["target"]),
            profile=str(data.get("profile") or ""),
            compiler=str(data.get("compiler") or ""),
            input=data.get("input"),
            input_sha256=data.get("input_sha256"),
            repeat=int(data.get("repeat") or 0),
            argv=tuple(data.get("argv") or ()),
            exit_code=data.get("exit_code"),
            signal=data.get("signal"),
            timed_out=bool(data.get("timed_out")),
            oom=bool(data.get("oom")),
            seconds=float(data.get("seconds") or 0.0),
            max_rss_kb=data.get("max_rss_kb"),
            logs=tuple(data.get("logs") or ()),
            commit=data.get("commit"),
            dirty=bool(data.get("dirty")),
        )


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str | None
    branch: str | None
    dirty: bool
