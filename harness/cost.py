"""`harness cost`: what each tool costs on one program and input. The same
input runs natively (plain build), under ASan, LSan alone and UBSan (their
builds), and under Memcheck, Massif, heaptrack, and the ledgers' ltrace and
jemalloc profiler (on the plain build); each
row gives the median wall time, the slowdown against native, and the median
peak resident memory of the child (for Valgrind, the Valgrind process itself).

Each run goes through harness.probe, which explains why the peak memory is
read by a small wrapper rather than by this process.
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import build, heap_profile, launch, probe, proc, run_modes, subject, vcs
from harness.errors import BuildError, ToolError
from harness.probe import Measurement
from harness.project import Project
from harness.subject import Subject

SCHEMA = "harness.cost/1"
DEFAULT_RUNS = 5
MEASURED = "measured"
NOT_INSTALLED = "not installed"
BUILD_FAILED = "build failed"
NOT_AVAILABLE = "not available"


@dataclass(frozen=True, slots=True)
class Tool:
    """How to run the program under one tool: which build, what to put in front
    of its command line, which runtime options, and how much slower it may be."""

    name: str
    profile: str
    prefix: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)
    slowdown: float = 4.0
    # A shared library the tool preloads (its soname): "{library}" in the
    # options is its path; the row is "not installed" when it is missing.
    library: str | None = None
    # Where the program's own exit is, when the tool's exit status is the
    # tool's (ltrace exits 0 whatever the program did): read from the scratch folder.
    program_exit: Callable[[Path], tuple[int | None, str | None] | None] | None = None


# The runtime options keep every tool running as far as it can, so that no row
# looks cheap because the tool stopped at the first error: halt_on_error=0 lets
# UBSan (and an ASan built with -fsanitize-recover) go on; abort_on_error=0 exits
# instead of dumping core. Leak checking stays on where the tool does it by
# default, and Memcheck does it too (--leak-check=full), so the rows compare.
# "{scratch}" is a folder for the tools' own files, removed afterwards.
TOOLS: tuple[Tool, ...] = (
    Tool("native", "plain"),
    Tool(
        "asan",
        "asan",
        options={"ASAN_OPTIONS": "detect_leaks=1:halt_on_error=0:abort_on_error=0"},
    ),
    Tool("lsan", "lsan", options={"LSAN_OPTIONS": "abort_on_error=0"}),
    Tool("ubsan", "ubsan", options={"UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=0"}),
    Tool(
        "memcheck",
        "plain",
        ("valgrind", "--tool=memcheck", "--leak-check=full", "--log-file={scratch}/memcheck.%p"),
        slowdown=heap_profile.SLOWDOWN * 2,
    ),
    Tool(
        "massif",
        "plain",
        (
            "valgrind",
            "--tool=massif",
            *heap_profile.MASSIF_OPTIONS,
            "--massif-out-file={scratch}/massif.out.%p",
        ),
        slowdown=heap_profile.SLOWDOWN,
    ),
    Tool("heaptrack", "plain", ("heaptrack", "-o", "{scratch}/heaptrack.%p"), slowdown=10),
    # The two allocator ledgers of `harness ledger`, run as it runs them.
    Tool(
        "ltrace",
        "plain",
        run_modes.ltrace_argv(
            "ltrace", Path("{scratch}"), launch.data_file(run_modes.LTRACE_PROTOTYPES)
        ),
        slowdown=run_modes.LTRACE_SLOWDOWN,
        program_exit=lambda folder: _ltrace_exit(folder / run_modes.LTRACE_LOG),
    ),
    Tool(
        "jemalloc",
        "plain",
        options={
            "LD_PRELOAD": "{library}",
            "MALLOC_CONF": f"{run_modes.JEMALLOC_CONF},prof_prefix:{{scratch}}/jeprof",
        },
        slowdown=run_modes.JEMALLOC_SLOWDOWN,
        library=run_modes.JEMALLOC_SONAME,
    ),
)


@dataclass(frozen=True, slots=True)
class Row:
    tool: str
    status: str
    note: str | None = None
    binary: Path | None = None
    argv: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)
    runs: tuple[Measurement, ...] = ()

    @property
    def finished(self) -> tuple[Measurement, ...]:
        """The runs that ended by themselves: a run killed at the timeout measured
        only the timeout."""
        return tuple(run for run in self.runs if not run.timed_out)

    @property
    def seconds(self) -> float | None:
        """The median wall time of the finished runs; None when none finished."""
        finished = self.finished
        return statistics.median(run.seconds for run in finished) if finished else None

    @property
    def max_rss_kb(self) -> int | None:
        """The median of the runs' peak resident memory, like the wall time: one
        run that the machine slowed or swelled does not make the row."""
        known = [run.max_rss_kb for run in self.finished if run.max_rss_kb is not None]
        return round(statistics.median(known)) if known else None

    @property
    def timed_out(self) -> int:
        return len(self.runs) - len(self.finished)


@dataclass(frozen=True, slots=True)
class CostReport:
    subject: Subject
    compiler: str
    runs: int
    rows: tuple[Row, ...]
    commit: str | None

    def slowdown(self, row: Row) -> float | None:
        native = self.rows[0].seconds
        if row.seconds is None or not native:
            return None
        return row.seconds / native


@dataclass(frozen=True, slots=True)
class _Session:
    """What every row of one `harness cost` shares."""

    project: Project
    native: Subject
    runs: int
    timeout: float | None
    scratch: Path
    probe: Path
    notify: Callable[[str], None]


def measure_costs(
    project: Project,
    target_name: str,
    input_given: str,
    runs: int = DEFAULT_RUNS,
    cc: str | None = None,
    timeout: float | None = None,
    notify: Callable[[str], None] = lambda message: None,
) -> CostReport:
    """Bring the builds up to date (telling `notify` what it built), run every
    tool `runs` times, and write reports/cost-<target>-<input>.json. Raises
    UsageError, BuildError (for the plain build) and ToolError."""
    target = subject.find_target(project, target_name)
    subject.require_program(target, "cost")
    input_path = subject.find_input(project, target, input_given)
    chosen = subject.choose_cc(project, target, subject.PLAIN, cc)
    build.ensure_built(project, target, subject.PLAIN, chosen, notify)
    native = subject.subject(project, target, input_path, chosen)
    wrapper = probe.wrapper(project.state_dir / "tools", chosen)
    with tempfile.TemporaryDirectory(prefix="harness-cost-") as scratch:
        session = _Session(project, native, runs, timeout, Path(scratch), wrapper, notify)
        rows = tuple(_row(session, tool) for tool in TOOLS)
    label = heap_profile.compiler_label(native.binary.parent, chosen)
    report = CostReport(native, label, runs, rows, vcs.current_commit(project.root).sha)
    heap_profile.write_json(report_path(project, report), to_json(report, project.root))
    return report


def report_path(project: Project, report: CostReport) -> Path:
    program = report.subject
    return project.reports_dir / f"cost-{program.target.name}-{program.input_stem}.json"


def _row(session: _Session, tool: Tool) -> Row:
    if tool.prefix and proc.which(tool.prefix[0]) is None:
        return Row(tool.name, NOT_INSTALLED, f"'{tool.prefix[0]}' is not on PATH")
    library = run_modes.ldconfig_lookup(tool.library) if tool.library else None
    if tool.library and library is None:
        return Row(tool.name, NOT_INSTALLED, f"{tool.library} is not installed")
    native = session.native
    target = native.target
    program = native
    if tool.profile != subject.PLAIN:
        if not target.built_by_harness:
            note = f"built by your own command; harness cannot make its {tool.profile} build"
            return Row(tool.name, NOT_AVAILABLE, note)
        try:
            build.ensure_built(session.project, target, tool.profile, native.cc, session.notify)
        except BuildError as exc:
            return Row(tool.name, BUILD_FAILED, _first_line(exc))
        except ToolError as exc:  # the compiler lacks this sanitizer's runtime
            return Row(tool.name, NOT_INSTALLED, _first_line(exc))
        program = subject.subject(session.project, target, native.input, native.cc, tool.profile)
    folder = session.scratch / tool.name
    folder.mkdir()
    argv = tuple(part.replace("{scratch}", str(folder)) for part in tool.prefix) + program.argv
    options = {
        name: value.replace("{scratch}", str(folder)).replace("{library}", library or "")
        for name, value in tool.options.items()
    }
    env = proc.child_env({**target.env, **options})
    limit = session.timeout or target.timeout * tool.slowdown
    root = session.project.root
    measured = tuple(
        _program_exit(
            tool,
            folder,
            probe.measure(session.probe, argv, env, root, program.stdin, folder, limit),
        )
        for _ in range(session.runs)
    )
    return Row(tool.name, MEASURED, None, program.binary, argv, options, measured)


def _program_exit(tool: Tool, folder: Path, run: Measurement) -> Measurement:
    """The run with the program's exit in place of the tool's, where they differ."""
    found = tool.program_exit(folder) if tool.program_exit and not run.timed_out else None
    if found is None:
        return run
    return dataclasses.replace(run, exit_code=found[0], signal=found[1])


def _ltrace_exit(trace: Path) -> tuple[int | None, str | None] | None:
    from harness.ledger import ltrace

    return ltrace.program_exit(trace)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def to_json(report: CostReport, root: Path) -> dict[str, Any]:
    """The cost JSON: one row per tool, each run with its exit code."""
    program = report.subject
    return {
        "schema": SCHEMA,
        "target": program.target.name,
        "input": heap_profile.relative(program.input, root),
        "cc": program.cc,
        "compiler": report.compiler,
        "commit": report.commit,
        "runs": report.runs,
        "rows": [_row_json(report, row, root) for row in report.rows],
    }


def _row_json(report: CostReport, row: Row, root: Path) -> dict[str, Any]:
    slowdown = report.slowdown(row)
    return {
        "tool": row.tool,
        "status": row.status,
        "note": row.note,
        "binary": heap_profile.relative(row.binary, root) if row.binary else None,
        "argv": list(row.argv),
        "options": dict(row.options),
        "seconds": row.seconds,
        "slowdown": round(slowdown, 3) if slowdown is not None else None,
        "max_rss_kb": row.max_rss_kb,
        "timed_out": row.timed_out,
        "runs": [
            {
                "seconds": run.seconds,
                "max_rss_kb": run.max_rss_kb,
                "exit_code": run.exit_code,
                "signal": run.signal,
                "timed_out": run.timed_out,
            }
            for run in row.runs
        ],
    }
