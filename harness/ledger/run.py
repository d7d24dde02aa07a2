"""`harness ledger` as a library call: run one target on one input under one
method and read its ledger.

    result = run.measure(project, "leak_direct", "above_root.txt", via="ltrace")

The job runs through the runner like any `harness run` job (its own
logs/<run-id>/ with runs.jsonl, the process group killed at the timeout), on
the plain build: run_modes' `ltrace`, `jemalloc` and `leaks` modes.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import build, proc, run_modes, run_plan, runner, subject
from harness.errors import ToolError, UsageError
from harness.ledger import jemalloc, lsan, ltrace
from harness.ledger.model import JEMALLOC, LSAN, LTRACE, METHODS, Ledger
from harness.model import Job, Report
from harness.parse import parse_file
from harness.project import Project
from harness.run_plan import PlannedJob
from harness.subject import Subject

MODE_OF = {LTRACE: run_modes.LTRACE, JEMALLOC: run_modes.JEMALLOC, LSAN: run_modes.LEAKS}
NO_PROFILING = "jemalloc without profiling support"


@dataclass(frozen=True, slots=True)
class LedgerResult:
    ledger: Ledger
    subject: Subject
    compiler: str
    run_dir: Path
    job: Job
    why: str  # how the method was chosen
    reports: tuple[Report, ...] = ()  # lsan: the parsed leak reports themselves


def measure(
    project: Project,
    target_name: str,
    input_given: str,
    via: str | None = None,
    cc: str | None = None,
    timeout: float | None = None,
    notify: Callable[[str], None] = lambda message: None,
) -> LedgerResult:
    """Run the target's plain build on the input under `via` (default: the
    cheapest method available), its plain build brought up to date first
    (telling `notify`). Raises UsageError, NotBuiltError (a target built by the
    project's own command), BuildError and ToolError (a method's tool missing)."""
    target = subject.find_target(project, target_name)
    input_path = subject.find_input(project, target, input_given)
    chosen_cc = subject.choose_cc(project, target, subject.PLAIN, cc)
    build.ensure_built(project, target, subject.PLAIN, chosen_cc, notify)
    method, why = choose_method(via, chosen_cc, _compiler_path(project, chosen_cc))
    # The plan knows where each kind of target's build is (an extension's
    # module file, not a program) and raises NotBuiltError naming the command.
    plan = run_plan.plan(project, [target.name], cc=chosen_cc, mode=MODE_OF[method])
    build_dir = project.build_dir / f"{plan.cc}-{subject.PLAIN}"
    binary = run_plan.binary_path(project.root, build_dir, target, plan.interpreter(target.name))
    program = subject.Subject(target, input_path, chosen_cc, binary, (str(binary),), None)
    planned = PlannedJob(1, target, program.binary, input_path, 0)
    plan = dataclasses.replace(plan, jobs=(planned,))
    result = runner.run_jobs(project, plan, jobs=1, timeout=timeout)
    job = result.jobs[0]
    job_dir = result.run_dir / f"job-{job.job:04d}"
    if job.timed_out:
        raise ToolError(
            f"{target.name} on {input_path.name} was still running after {job.seconds:g}s "
            f"and was killed; {method} makes its ledger when the program exits, so there is "
            f"none (logs in {_shown(job_dir, project.root)}); give it longer with --timeout S"
        )
    ledger, reports = READERS[method](job_dir, program.binary, project.root)
    if ledger.exit_code is None and ledger.signal is None:
        ledger = dataclasses.replace(ledger, exit_code=job.exit_code, signal=job.signal)
    if ledger.signal is not None:
        died = f"the program died of {ledger.signal}: these blocks were still allocated then"
        ledger = dataclasses.replace(ledger, notes=(*ledger.notes, died))
    return LedgerResult(ledger, program, plan.compiler, result.run_dir, job, why, reports)


def choose_method(via: str | None, cc: str, compiler_path: str | None) -> tuple[str, str]:
    """(method, why). --via must be available (ToolError saying why not); without
    it, the cheapest available one, in METHODS order."""
    if via is not None:
        if via not in METHODS:
            raise UsageError(f"--via {via}: use one of {', '.join(METHODS)}")
        missing = unavailable(via, cc, compiler_path)
        if missing:
            raise ToolError(f"--via {via}: {missing}")
        return via, f"--via {via}"
    reasons: list[str] = []
    for method in METHODS:
        missing = unavailable(method, cc, compiler_path)
        if missing is None:
            skipped = f" ({'; '.join(reasons)})" if reasons else ""
            return method, f"cheapest available method: {method}{skipped}"
        reasons.append(f"{method}: {missing}")
    raise ToolError("no ledger method is available: " + "; ".join(reasons))


def unavailable(method: str, cc: str, compiler_path: str | None) -> str | None:
    """Why `method` cannot run here, or None when it can."""
    try:
        if method == LSAN:
            run_modes.leak_runtime(cc, compiler_path)
        elif method == LTRACE:
            run_modes.find_ltrace()
        elif method == JEMALLOC:
            return jemalloc_problem(run_modes.jemalloc_library())
    except ToolError as exc:
        return str(exc).splitlines()[0]
    return None


@functools.lru_cache(maxsize=4)
def jemalloc_problem(library: str) -> str | None:
    """None when this jemalloc can profile: a build without --enable-prof rejects
    `prof:true` ("Invalid conf pair") and writes no profile."""
    probe = proc.which("true")
    if probe is None:
        return None
    env = proc.child_env({"LD_PRELOAD": library, "MALLOC_CONF": "prof:true"})
    done = proc.run([probe], env=env, check=False, timeout=30)
    if "Invalid conf" in done.stderr:
        return f"{NO_PROFILING} ({library}); install a jemalloc built with --enable-prof"
    return None


def _compiler_path(project: Project, cc: str) -> str | None:
    record = run_plan.build_record(project.build_dir / f"{cc}-{subject.PLAIN}")
    path = record.get("path")
    return path if isinstance(path, str) else None


def _shown(path: Path, root: Path) -> str:
    return run_plan.relative(path, root)


def _read_ltrace(job_dir: Path, binary: Path, root: Path) -> tuple[Ledger, tuple[Report, ...]]:
    trace = job_dir / run_modes.LTRACE_LOG
    if not trace.is_file():
        raise ToolError(f"ltrace wrote no trace ({trace})", _stderr(job_dir))
    maps = list(job_dir.glob(f"{run_modes.LOAD_MAP_STEM}.*"))
    return ltrace.ledger(trace, maps, binary, _shown(trace, root)), ()


def _read_jemalloc(job_dir: Path, binary: Path, root: Path) -> tuple[Ledger, tuple[Report, ...]]:
    heaps = sorted(job_dir.glob(f"{run_modes.JEMALLOC_PREFIX}.*.f.heap"), key=_pid_of)
    if not heaps:
        raise ToolError(
            f"jemalloc wrote no final heap profile in {job_dir} (did the program exit "
            f"normally? a crash or _exit skips the dump; {KEEPS_BLOCKS})",
            _stderr(job_dir),
        )
    ledger = jemalloc.ledger(heaps[0], binary, _shown(heaps[0], root), _stderr(job_dir))
    if len(heaps) > 1:
        others = f"{len(heaps) - 1} other process(es) also dumped a profile, not counted"
        ledger = dataclasses.replace(ledger, notes=(*ledger.notes, others))
    return ledger, ()


def _read_lsan(job_dir: Path, binary: Path, root: Path) -> tuple[Ledger, tuple[Report, ...]]:
    logs = sorted(job_dir.glob("lsan.*"), key=_pid_of)
    reports: list[Report] = []
    for log in logs:
        parsed = parse_file(log)
        shown = _shown(log, root)
        crash = next((r for r in parsed.reports if r.kind != "leak"), None)
        if crash is not None:
            raise ToolError(
                f"LeakSanitizer stopped at a {crash.kind} in {_crash_site(crash)} before its "
                f"leak check at exit, so there is no ledger (see {shown}); {KEEPS_BLOCKS}"
            )
        reports.extend(
            dataclasses.replace(r, source=dataclasses.replace(r.source, log=shown))
            for r in parsed.reports
        )
    shown = _shown(logs[0], root) if logs else _shown(job_dir, root)
    return lsan.ledger(reports, binary, shown), tuple(reports)


KEEPS_BLOCKS = "--via ltrace keeps the blocks still allocated when a program dies"


def _crash_site(report: Report) -> str:
    """`main (src/crash.c:12)`: the top frame of the crash stack that has a name."""
    stack = report.stack("crash")
    frame = next((f for f in (stack.frames if stack else ()) if f.function), None)
    if frame is None:
        return "an unknown place"
    where = f" ({frame.file}:{frame.line})" if frame.file and frame.line else ""
    return f"{frame.function}{where}"


def _pid_of(path: Path) -> int:
    for part in path.name.split("."):
        if part.isdigit():
            return int(part)
    return 0


def _stderr(job_dir: Path) -> str:
    try:
        return (job_dir / "stderr").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


Reader = Callable[[Path, Path, Path], tuple[Ledger, tuple[Report, ...]]]
READERS: dict[str, Reader] = {LTRACE: _read_ltrace, JEMALLOC: _read_jemalloc, LSAN: _read_lsan}

__all__ = ["LedgerResult", "choose_method", "measure", "unavailable"]
