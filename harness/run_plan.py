"""What `harness run` will execute: targets, their built binaries, inputs, repeats.

Planning touches the disk only to look: it finds the build folder and the
inputs, and fails early (before any job starts) when a target is not built.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import buildconf, interpreters, run_modes, runtime_options
from harness.config import Config, Target
from harness.errors import ConfigError, NotBuiltError, UsageError
from harness.interpreters import Interpreter
from harness.profiles import PLAIN, Profile, parse_profile
from harness.project import Project
from harness.run_modes import Mode

DEFAULT_PROFILE = "asan"
COMPILERS = ("gcc", "clang")


@dataclass(frozen=True, slots=True)
class PlannedJob:
    """One (target, input, repeat); `input` is None for a target with no inputs folder."""

    number: int
    target: Target
    binary: Path
    input: Path | None
    repeat: int


@dataclass(frozen=True, slots=True)
class Plan:
    """The jobs, and what they run under. `profile` is the build's (`plain` for
    --valgrind and --leaks); `recorded_profile` is what runs.jsonl says."""

    root: Path
    profile: Profile
    cc: str
    compiler: str
    targets: tuple[str, ...]
    jobs: tuple[PlannedJob, ...]
    warnings: tuple[str, ...]
    mode: Mode = run_modes.MODES[run_modes.SANITIZER]
    # The runtime library to LD_PRELOAD: into every job (--leaks), or into the
    # interpreters of python-extension targets (sanitizer builds).
    preload: str | None = None
    valgrind: str | None = None
    # ltrace, for the ltrace ledger mode
    tracer: str | None = None
    # target name → the interpreter a python-extension target runs in
    interpreters: tuple[tuple[str, Interpreter], ...] = ()

    @property
    def recorded_profile(self) -> str:
        return self.mode.recorded_profile or self.profile.name

    def interpreter(self, target: str) -> Interpreter | None:
        return dict(self.interpreters).get(target)

    def preload_for(self, target: Target) -> str | None:
        """--leaks (and jemalloc) preload into every job; a sanitizer run only into
        interpreters (a sanitizer program carries its runtime already, and a second
        copy breaks it)."""
        if self.mode.name in (run_modes.LEAKS, run_modes.JEMALLOC) or target.is_extension:
            return self.preload
        return None


def plan(
    project: Project,
    names: Sequence[str] = (),
    *,
    profile: str = DEFAULT_PROFILE,
    cc: str | None = None,
    repeat: int = 1,
    environ: Mapping[str, str] | None = None,
    mode: Mode | str = run_modes.SANITIZER,
) -> Plan:
    """The jobs for `names` (all targets when empty), numbered from 1.

    `mode` is `sanitizer`, `valgrind` or `leaks` (the last two run the plain
    build; `profile` is then ignored). Raises UsageError for unknown targets or
    options, NotBuiltError (naming the build command) when a binary is missing,
    ToolError when Valgrind, a runtime library or an interpreter is missing.
    """
    config = project.require_config()
    how = run_modes.MODES[mode] if isinstance(mode, str) else mode
    chosen = parse_profile(PLAIN if how.uses_plain_build else profile)
    targets = select_targets(config, names)
    if repeat < 1:
        raise UsageError(f"--repeat {repeat}: give a number of runs of 1 or more")
    valgrind = run_modes.find_valgrind() if how.name == run_modes.VALGRIND else None
    cc_name = choose_cc(project, config, chosen, cc)
    build_dir = project.build_dir / f"{cc_name}-{chosen.name}"
    found = {
        target.name: interpreters.describe_for(target.kind, target.interpreter)
        for target in targets
        if target.is_extension
    }
    binaries = {
        target.name: binary_path(project.root, build_dir, target, found.get(target.name))
        for target in targets
    }
    require_built(project.root, targets, binaries, chosen, cc_name)
    record = build_record(build_dir)
    preload = _preload(how, chosen, cc_name, record, bool(found))
    jobs: list[PlannedJob] = []
    empty: list[str] = []
    for target in targets:
        inputs = inputs_of(project.root, target)
        if not inputs:
            empty.append(f"target '{target.name}' has no inputs: {target.inputs}/ holds no file")
        for input_path in inputs:
            for number in range(repeat):
                job = PlannedJob(len(jobs) + 1, target, binaries[target.name], input_path, number)
                jobs.append(job)
    return Plan(
        root=project.root,
        profile=chosen,
        cc=cc_name,
        compiler=compiler_of(build_dir, cc_name),
        targets=tuple(target.name for target in targets),
        jobs=tuple(jobs),
        warnings=(
            *empty,
            *option_warnings(chosen, targets, os.environ if environ is None else environ),
        ),
        mode=how,
        preload=preload,
        valgrind=valgrind,
        tracer=run_modes.find_ltrace() if how.name == run_modes.LTRACE else None,
        interpreters=tuple(found.items()),
    )


def _preload(
    mode: Mode, profile: Profile, cc: str, record: Mapping[str, object], extensions: bool
) -> str | None:
    compiler_path = record.get("path")
    path = compiler_path if isinstance(compiler_path, str) else None
    if mode.name == run_modes.LEAKS:
        return run_modes.leak_runtime(cc, path)
    if mode.name == run_modes.JEMALLOC:
        return run_modes.jemalloc_library()
    if mode.name == run_modes.SANITIZER and extensions:
        return run_modes.extension_runtime(cc, path, profile)
    return None


def select_targets(config: Config, names: Sequence[str]) -> tuple[Target, ...]:
    if not config.targets:
        raise UsageError(f"{config.path}: no [[target]] to run; add one")
    if not names:
        return config.targets
    unknown = [name for name in names if config.target(name) is None]
    if unknown:
        known = ", ".join(target.name for target in config.targets)
        raise UsageError(f"unknown target(s): {', '.join(unknown)}; {config.path} has: {known}")
    return tuple(config.targets[_index(config, name)] for name in dict.fromkeys(names))


def _index(config: Config, name: str) -> int:
    return next(i for i, target in enumerate(config.targets) if target.name == name)


def choose_cc(project: Project, config: Config, profile: Profile, cc: str | None) -> str:
    """--cc, else [project] cc, else whichever build folder exists (gcc first), else gcc."""
    if cc is not None:
        if cc not in COMPILERS:
            raise UsageError(f"--cc {cc}: use one of {', '.join(COMPILERS)}")
        return cc
    if config.cc is not None:
        if config.cc not in COMPILERS:
            raise ConfigError(
                f"[project] cc = '{config.cc}': use one of {', '.join(COMPILERS)}",
                str(config.path),
            )
        return config.cc
    for name in COMPILERS:
        if (project.build_dir / f"{name}-{profile.name}").is_dir():
            return name
    return COMPILERS[0]


def binary_path(
    root: Path, build_dir: Path, target: Target, interpreter: Interpreter | None = None
) -> Path:
    """The built program, or for a python-extension the module file its interpreter imports."""
    if target.is_extension and interpreter is not None:
        module = target.module or target.name
        name = buildconf.extension_path(build_dir.name, target.name, module, interpreter.ext_suffix)
        return build_dir.parent / name
    if target.built_by_harness:
        return build_dir / target.name
    return root / str(target.binary)


def build_command(profile: Profile, cc: str, names: Sequence[str]) -> str:
    """The `harness build` line that builds these targets for this profile."""
    if profile.is_plain:
        flag = "--plain"
    elif len(profile.parts) == 1:
        flag = f"--{profile.parts[0]}"
    else:
        flag = f"--profile {profile.name}"
    return " ".join(("harness build", flag, "--cc", cc, *names))


def require_built(
    root: Path,
    targets: Sequence[Target],
    binaries: Mapping[str, Path],
    profile: Profile,
    cc: str,
) -> None:
    missing = [target for target in targets if not binaries[target.name].is_file()]
    ours = [target.name for target in missing if target.built_by_harness]
    if ours:
        where = ", ".join(relative(binaries[name], root) for name in ours)
        raise NotBuiltError(
            f"not built for profile {profile.name} with {cc}: {', '.join(ours)} "
            f"(no {where}); run: {build_command(profile, cc, ours)}"
        )
    if missing:
        target = missing[0]
        raise NotBuiltError(
            f"target '{target.name}': binary {target.binary} does not exist; build it with "
            f"the project's own build command (e.g. harness build --{profile.name} -- make)"
        )


def inputs_of(root: Path, target: Target) -> tuple[Path | None, ...]:
    """The regular files of the inputs folder by name (hidden files skipped);
    a target without an inputs folder runs once, with no input."""
    if target.inputs is None:
        return (None,)
    folder = root / target.inputs
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise UsageError(
            f"target '{target.name}': cannot read inputs folder {folder}: {exc.strerror}"
        ) from None
    return tuple(path for path in entries if path.is_file() and not path.name.startswith("."))


def build_record(build_dir: Path) -> dict[str, object]:
    """build.json of a build folder; empty when it is missing or unreadable."""
    try:
        data = json.loads((build_dir / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def compiler_of(build_dir: Path, cc: str) -> str:
    """build.json's "compiler" (like "gcc 12.2.0"); the cc name when it is missing."""
    compiler = build_record(build_dir).get("compiler")
    return compiler if isinstance(compiler, str) and compiler else cc


def layers(target: Target, environ: Mapping[str, str]) -> tuple[runtime_options.Layer, ...]:
    return (
        runtime_options.Layer("the environment", environ),
        runtime_options.Layer(f"target '{target.name}' env", target.env),
    )


def option_warnings(
    profile: Profile, targets: Sequence[Target], environ: Mapping[str, str]
) -> tuple[str, ...]:
    """What the user asked of the sanitizer options that the harness will ignore."""
    seen: dict[str, None] = {}
    for target in targets:
        runtime = runtime_options.sanitizer_env(profile, Path("job"), layers(target, environ))
        seen.update(dict.fromkeys(runtime.warnings))
    return tuple(seen)


def relative(path: Path, root: Path) -> str:
    """`path` relative to the project root when it lies inside it, else absolute."""
    absolute = Path(os.path.normpath(path if path.is_absolute() else root / path))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return str(absolute)
