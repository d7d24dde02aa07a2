"""One job's command line, environment and time limit, for every run mode and target kind.

Pure: the plan (mode, profile, runtime library to preload, Valgrind, the
interpreters) and the job's own paths in; a Launch out.

- A program runs as `<binary> <args>`; a python-extension target as
  `<interpreter> <script> <args>`, with the module's build folder first on
  PYTHONPATH and PYTHONMALLOC=malloc, so that every Python object is a
  malloc block the sanitizer or Valgrind sees (pymalloc would hide overflows
  inside its arenas and make objects it holds look leaked). A node-addon
  target runs as `node <script> <args>` with the addon's build folder first
  on NODE_PATH (the script requires `<module>.node`); V8's own heap is not
  malloc's, so there is no allocator to set aside.
- `--valgrind` puts memcheck in front and scales the target's timeout.
- A preloaded runtime goes first in LD_PRELOAD (ASan insists on being the
  first library loaded), ahead of whatever the user preloads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from harness import interpreters, run_modes, runtime_options
from harness.config import NODE_ADDON, PYTHON_EXTENSION, Target
from harness.jobs import command_line
from harness.profiles import Profile, parse_profile
from harness.run_plan import Plan, PlannedJob, layers, relative

KIND_OF_LANGUAGE = {"python": PYTHON_EXTENSION, "node": NODE_ADDON}
# Variables a python-extension job gets unless the target's env says otherwise.
PYTHON_DEFAULTS = {"PYTHONMALLOC": "malloc"}
PRELOAD = "LD_PRELOAD"
PYTHONPATH = "PYTHONPATH"
NODE_PATH = "NODE_PATH"


@dataclass(frozen=True, slots=True)
class Settings:
    """What every job of one run shares besides the plan."""

    environ: Mapping[str, str]
    timeout: float | None
    rss_limit_mb: int | None
    symbolizer: str | None


@dataclass(frozen=True, slots=True)
class Launch:
    argv: tuple[str, ...]
    env: dict[str, str]
    timeout: float
    # Stem of the runtime's log files in the job folder (`asan` → asan.<pid>), if any.
    log_stem: str | None


def prepare(plan: Plan, planned: PlannedJob, job_dir: Path, settings: Settings) -> Launch:
    """The Launch for one planned job writing its logs into `job_dir`."""
    target = planned.target
    runtime = runtime_env(plan, target, job_dir, settings)
    variables = {**runtime.variables, **run_modes.mode_env(plan.mode, job_dir)}
    env = child_env(settings.environ, target, variables)
    preload = plan.preload_for(target)
    if preload:
        env[PRELOAD] = _prepend(preload, env.get(PRELOAD), " ")
    if target.is_extension:
        search = PYTHONPATH if target.is_python_extension else NODE_PATH
        env[search] = _prepend(str(planned.binary.parent), env.get(search), os.pathsep)
    argv = base_argv(plan, planned)
    if plan.valgrind:
        argv = (*run_modes.memcheck_argv(plan.valgrind, job_dir), *argv)
    if plan.tracer:
        prototypes = data_file(run_modes.LTRACE_PROTOTYPES)
        argv = (*run_modes.ltrace_argv(plan.tracer, job_dir, prototypes), *argv)
    timeout = settings.timeout or target.timeout * plan.mode.timeout_factor
    return Launch(argv, env, timeout, runtime.log_stem)


def base_argv(plan: Plan, planned: PlannedJob) -> tuple[str, ...]:
    """`<binary> <args>`, or `<interpreter> <script> <args>` for an extension."""
    target = planned.target
    interpreter = plan.interpreter(target.name)
    if not target.is_extension or interpreter is None or target.script is None:
        return command_line(str(planned.binary), target.args, planned.input)
    script = str((plan.root / target.script).resolve())
    return (interpreter.executable, *command_line(script, target.args, planned.input))


def runtime_profile(plan: Plan) -> Profile | None:
    """The sanitizer runtime whose options the job gets: the build's, LSan for
    --leaks, none under Valgrind, ltrace or jemalloc."""
    if plan.mode.name in (run_modes.VALGRIND, run_modes.LTRACE, run_modes.JEMALLOC):
        return None
    if plan.mode.name == run_modes.LEAKS:
        return parse_profile("lsan")
    return plan.profile


def leak_suppressions(plan: Plan, target: Target) -> Path | None:
    """The interpreter's suppressions, for an extension target checked for leaks."""
    profile = runtime_profile(plan)
    if not target.is_extension or profile is None or "leak" not in profile.sanitizers:
        return None
    return interpreters.suppressions_file(target.kind)


def runtime_env(
    plan: Plan, target: Target, job_dir: Path, settings: Settings
) -> runtime_options.RuntimeEnv:
    profile = runtime_profile(plan)
    if profile is None:
        return runtime_options.RuntimeEnv({}, (), None)
    return runtime_options.sanitizer_env(
        profile,
        job_dir,
        layers(target, settings.environ),
        settings.rss_limit_mb,
        settings.symbolizer,
        {"lsan": lsan_options(plan, target)},
    )


def lsan_options(plan: Plan, target: Target) -> dict[str, str]:
    """LSAN_OPTIONS of the harness's own beyond the runtime_options defaults."""
    options = dict(run_modes.LEAKS_OPTIONS) if plan.mode.name == run_modes.LEAKS else {}
    suppressions = leak_suppressions(plan, target)
    if suppressions is not None:
        options["suppressions"] = str(suppressions)
    return options


def child_env(
    environ: Mapping[str, str], target: Target, runtime: Mapping[str, str]
) -> dict[str, str]:
    """environment < interpreter defaults < the target's env < the runtime's options."""
    defaults = PYTHON_DEFAULTS if target.is_python_extension else {}
    return dict(environ) | defaults | target.env | dict(runtime)


def recorded_argv(argv: tuple[str, ...], planned: PlannedJob, root: Path) -> tuple[str, ...]:
    """argv as runs.jsonl shows it: the binary (and a script) relative to the project root."""
    ours = {str(planned.binary)}
    if planned.target.script:
        ours.add(str((root / planned.target.script).resolve()))
    return tuple(relative(Path(arg), root) if arg in ours else arg for arg in argv)


def data_file(name: str) -> Path:
    """A file shipped in harness/data."""
    return Path(str(resources.files("harness") / "data" / name))


def _prepend(first: str, rest: str | None, separator: str) -> str:
    return f"{first}{separator}{rest}" if rest else first


def notes(plan: Plan) -> tuple[str, ...]:
    """What the run summary says about how jobs ran: the preloaded runtime, the
    interpreter and its suppressed leaks."""
    lines = []
    if plan.valgrind:
        lines.append(
            f"memcheck: {plan.valgrind}; exit code {run_modes.MEMCHECK_ERROR_EXIT} means it "
            "found errors (memcheck.<pid>.xml in each job folder)"
        )
    if plan.preload:
        lines.append(f"preloaded: {plan.preload}")
    for name, interpreter in plan.interpreters:
        lines.append(f"target '{name}' ran in {interpreter.executable} ({interpreter.label})")
    kinds = {interpreter.language for _, interpreter in plan.interpreters}
    profile = runtime_profile(plan)
    if kinds and profile is not None and "leak" in profile.sanitizers:
        for kind in sorted(kinds):
            path = interpreters.suppressions_file(KIND_OF_LANGUAGE[kind])
            lines.append(f"interpreter leaks suppressed by harness/data/{path.name} ({path})")
    return tuple(lines)
