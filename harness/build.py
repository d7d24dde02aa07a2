"""Building: targets with `sources` through SCons, and a project's own build command
(make, cmake, ...) wrapped with the profile's CC/CFLAGS/LDFLAGS.

Both write `build/<cc>-<profile>/build.json` (contract) so the runner knows
which compiler and flags made the binaries.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import buildconf, proc, toolchain
from harness.config import DEFAULT_OPTIMIZATION, Config, Target
from harness.errors import BuildError, UsageError
from harness.profiles import Profile, parse_profile
from harness.project import Project
from harness.toolchain import Compiler

SCONSTRUCT = Path(__file__).with_name("sconstruct.py")
PLAN_NAME = ".plan.json"
# SCons echoes each compile as `$CC -o $TARGET -c ...` (CCCOM/CXXCOM).
_COMPILE_LINE = re.compile(r"\s-o\s+(\S+)\s+-c\s")


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What one `harness build` did. Paths are absolute; `compiled` lists the object
    files SCons had to (re)compile, empty when everything was up to date."""

    variant_dir: Path
    compiler: Compiler
    profile: str
    binaries: tuple[Path, ...]
    compiled: tuple[str, ...]
    output: str
    warnings: str

    @property
    def up_to_date(self) -> bool:
        return not self.compiled


def build_targets(
    project: Project,
    profile: Profile | str = "asan",
    cc: str | None = None,
    jobs: int | None = None,
    names: Sequence[str] = (),
) -> BuildResult:
    """Build the named targets (all with `sources` when none is named) into
    build/<cc>-<profile>/. Raises UsageError, ToolError (compiler missing) or
    BuildError (carrying the compiler's messages)."""
    config = project.require_config()
    chosen = _profile(profile)
    targets = select_targets(config, names)
    compiler, shared = resolve_compiler(config, chosen, cc)
    plan = buildconf.make_plan(compiler, chosen, targets, shared)
    variant = project.root / plan.variant
    variant.mkdir(parents=True, exist_ok=True)
    plan_file = variant / PLAN_NAME
    plan_file.write_text(json.dumps(plan.record(), indent=2) + "\n", encoding="utf-8")
    done = _run_scons(project.root, plan_file, jobs, [target.binary for target in plan.targets])
    if done.returncode != 0:
        raise BuildError(
            f"build failed ({compiler.label}, profile {chosen.name}, in {variant}); "
            "the compiler's messages follow",
            done.stderr or done.stdout,
        )
    write_record(variant, _merged_record(variant, plan.record()))
    return BuildResult(
        variant_dir=variant,
        compiler=compiler,
        profile=chosen.name,
        binaries=tuple(project.root / target.binary for target in plan.targets),
        compiled=tuple(_COMPILE_LINE.findall(done.stdout)),
        output=done.stdout,
        warnings=done.stderr,
    )


def ensure_built(
    project: Project, target: Target, profile: str, cc: str, notify: Callable[[str], None]
) -> None:
    """Build (incrementally) one target's `profile` build before it is measured,
    telling `notify` when it was missing or out of date: a build older than its
    sources would measure other code than the checkout (and `harness profile`
    would keep it as the commit's). A target built by the project's own
    command is left alone."""
    if not target.built_by_harness:
        return
    variant = project.build_dir / f"{cc}-{profile}"
    made = [variant / target.name, *variant.glob(f"{target.name}/*")]
    missing = not any(path.is_file() for path in made)
    if missing:
        notify(f"building {target.name} ({profile}, {cc}): no build in {variant}")
    result = build_targets(project, profile, cc, None, [target.name])
    if not missing and not result.up_to_date:
        notify(f"rebuilt {target.name} ({profile}, {cc}): it was older than its sources or flags")


def wrap(project: Project, profile: Profile | str, cc: str | None, command: Sequence[str]) -> int:
    """Run the project's own build `command` in the project root with CC, CXX,
    CFLAGS, CXXFLAGS and LDFLAGS set for the profile, then record build.json.

    The command's output goes straight to the terminal. Returns its exit code
    (0); a failure raises BuildError (exit 3)."""
    if not command:
        raise UsageError("nothing to run after '--'; e.g. harness build --asan -- make -j4")
    chosen = _profile(profile)
    compiler, shared = resolve_compiler(project.config, chosen, cc)
    cflags = (*toolchain.BASE_FLAGS, DEFAULT_OPTIMIZATION, *shared)
    env = proc.child_env(wrap_env(os.environ, compiler, cflags, shared))
    variant = project.root / buildconf.variant_dir(compiler.cc, chosen.name)
    variant.mkdir(parents=True, exist_ok=True)
    done = proc.run(command, env=env, cwd=project.root, check=False, capture=False)
    if done.returncode != 0:
        raise BuildError(
            f"'{shlex.join(command)}' failed with exit code {done.returncode} "
            f"({compiler.label}, profile {chosen.name}); its output is above"
        )
    relative = buildconf.variant_dir(compiler.cc, chosen.name)
    plan = buildconf.BuildPlan(relative, compiler, chosen.name, cflags, shared, ())
    record = plan.record() | {
        "command": list(command),
        "targets": _binary_targets(project.config),
    }
    write_record(variant, record)
    return done.returncode


def wrap_env(
    base: Mapping[str, str],
    compiler: Compiler,
    cflags: Sequence[str],
    ldflags: Sequence[str],
) -> dict[str, str]:
    """The variables a wrapped build gets on top of `base` (the user's environment).

    The user's own CFLAGS, CXXFLAGS and LDFLAGS come first and the profile's
    flags last. gcc and clang obey the last of two conflicting options, so the
    sanitizer, frame-pointer and optimization flags that make findings
    comparable win over a stray -O2 or -fomit-frame-pointer, while the user's
    defines, include paths and warnings, which conflict with nothing, keep
    their effect. CC and CXX are replaced: build.json must name the compiler
    that really built the binaries."""
    ours_c = shlex.join(cflags)
    ours_ld = shlex.join(ldflags)
    extra = {
        "CC": compiler.path,
        "CFLAGS": _join(base.get("CFLAGS"), ours_c),
        "CXXFLAGS": _join(base.get("CXXFLAGS"), ours_c),
        "LDFLAGS": _join(base.get("LDFLAGS"), ours_ld),
    }
    if compiler.cxx_path:
        extra["CXX"] = compiler.cxx_path
    return extra


def select_targets(config: Config, names: Sequence[str]) -> tuple[Target, ...]:
    """The named targets, or every target with sources. Raises UsageError."""
    if not names:
        chosen = tuple(target for target in config.targets if target.built_by_harness)
        if not chosen:
            raise UsageError(
                f"{config.path}: no target has 'sources', so there is nothing for harness to "
                "compile; build 'binary' targets with: harness build --asan -- <your command>"
            )
        return chosen
    known = ", ".join(target.name for target in config.targets) or "none"
    chosen_list = []
    for name in dict.fromkeys(names):
        target = config.target(name)
        if target is None:
            raise UsageError(f"unknown target '{name}' (in {config.path}: {known})")
        if not target.built_by_harness:
            raise UsageError(
                f"target '{name}' is built by your own command (binary = '{target.binary}'); "
                "run it through: harness build --asan -- <your command>"
            )
        chosen_list.append(target)
    return tuple(chosen_list)


def resolve_compiler(
    config: Config | None, profile: Profile, cc: str | None
) -> tuple[Compiler, tuple[str, ...]]:
    """The compiler (from --cc, the config's cc, or the first installed) and the
    profile's flags for it, after checking that its sanitizer runtime links."""
    family = toolchain.default_family(cc or (config.cc if config else None))
    if family not in toolchain.FAMILIES and not cc and config is not None:
        raise UsageError(
            f"{config.path}: [project] cc = '{family}'; use one of: {', '.join(toolchain.FAMILIES)}"
        )
    toolchain.check_supported(family, profile)
    compiler = toolchain.find_compiler(family, needs_runtime=not profile.is_plain)
    shared = toolchain.sanitizer_flags(compiler, profile)
    toolchain.check_runtime(compiler, shared)
    return compiler, shared


def write_record(variant: Path, record: dict[str, Any]) -> Path:
    """Write build.json atomically, so a reader never sees half of it."""
    path = variant / buildconf.RECORD_NAME
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def _merged_record(variant: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Keep earlier targets of the same variant built with the same compiler and
    flags, so building one target does not make the others look unbuilt."""
    try:
        old = json.loads((variant / buildconf.RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return record
    same = all(old.get(key) == record[key] for key in ("path", "cxx_path", "cflags", "ldflags"))
    if not same or not isinstance(old.get("targets"), dict):
        return record
    kept = {
        name: entry
        for name, entry in old["targets"].items()
        if (variant / name).exists() and name not in record["targets"]
    }
    return record | {"targets": kept | record["targets"]}


def _run_scons(
    root: Path, plan_file: Path, jobs: int | None, binaries: Sequence[str]
) -> proc.Completed:
    argv = [
        sys.executable,
        "-m",
        "SCons",
        "-Q",
        "-f",
        str(SCONSTRUCT),
        "-C",
        str(root),
        f"-j{jobs or os.cpu_count() or 1}",
        f"plan={plan_file}",
        *binaries,
    ]
    return proc.run(argv, cwd=root, check=False, what="scons")


def _binary_targets(config: Config | None) -> dict[str, dict[str, str]]:
    if config is None:
        return {}
    return {
        target.name: {"binary": target.binary}
        for target in config.targets
        if target.binary is not None
    }


def _profile(profile: Profile | str) -> Profile:
    return parse_profile(profile) if isinstance(profile, str) else profile


def _join(user: str | None, ours: str) -> str:
    return f"{user.strip()} {ours}" if user and user.strip() else ours
