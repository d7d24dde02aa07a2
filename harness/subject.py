"""The program `harness profile` and `harness cost` measure: one target's built
binary, its command line for one input, and how the input reaches it.

Only looks at the disk (harness.toml, build/, the inputs folder); builds and
runs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.config import Target
from harness.errors import NotBuiltError, UsageError
from harness.project import Project

COMPILERS = ("gcc", "clang")
PLAIN = "plain"


@dataclass(frozen=True, slots=True)
class Subject:
    """A target on one input. `argv` starts with the binary; `stdin` is the input
    file when the target reads its input on standard input."""

    target: Target
    input: Path
    cc: str
    binary: Path
    argv: tuple[str, ...]
    stdin: Path | None

    @property
    def input_stem(self) -> str:
        return self.input.stem


def find_target(project: Project, name: str) -> Target:
    config = project.require_config()
    target = config.target(name)
    if target is None:
        known = ", ".join(target.name for target in config.targets) or "none"
        raise UsageError(f"unknown target '{name}' (in {config.path}: {known})")
    return target


def require_program(target: Target, command: str) -> None:
    """`harness profile` and `harness cost` run a program of the target's own; an
    extension is a module loaded by an interpreter. Raises UsageError saying
    what to use instead."""
    if target.is_extension:
        raise UsageError(
            f"target '{target.name}' is a {target.kind} target: harness {command} runs "
            "programs, not an interpreter loading a module; for its heap use "
            f"harness ledger {target.name} INPUT, harness run --leaks {target.name} or "
            f"harness run --valgrind {target.name}"
        )


def find_input(project: Project, target: Target, given: str) -> Path:
    """INPUT as a path (absolute, or relative to the current folder or the root),
    else a file name in the target's inputs folder."""
    folder = project.root / target.inputs if target.inputs else None
    for candidate in (Path(given), project.root / given, *([folder / given] if folder else [])):
        if candidate.is_file():
            return candidate.resolve()
    names = sorted(path.name for path in folder.iterdir() if path.is_file()) if folder else []
    hint = f"; inputs of '{target.name}': {', '.join(names)}" if names else ""
    raise UsageError(f"input '{given}' is not a file{hint}")


def choose_cc(project: Project, target: Target, profile: str, cc: str | None) -> str:
    """--cc, else the first of gcc, clang with this profile's build of the target,
    else [project] cc, else gcc."""
    if cc is not None:
        if cc not in COMPILERS:
            raise UsageError(f"--cc {cc}: use one of {', '.join(COMPILERS)}")
        return cc
    for name in COMPILERS:
        if binary_path(project, target, name, profile).is_file():
            return name
    config = project.require_config()
    return config.cc if config.cc in COMPILERS else COMPILERS[0]


def binary_path(project: Project, target: Target, cc: str, profile: str) -> Path:
    if target.binary is not None:
        return project.root / target.binary
    return project.build_dir / f"{cc}-{profile}" / target.name


def build_command(profile: str, cc: str, target: str) -> str:
    flag = f"--{profile}" if "+" not in profile else f"--profile {profile}"
    return f"harness build {flag} --cc {cc} {target}"


def subject(
    project: Project, target: Target, input_path: Path, cc: str, profile: str = PLAIN
) -> Subject:
    """The target's `profile` build on this input. Raises NotBuiltError naming
    the build command when the binary is missing."""
    binary = binary_path(project, target, cc, profile)
    if not binary.is_file():
        if target.binary is not None:
            raise NotBuiltError(
                f"target '{target.name}': {binary} does not exist; build it with your own "
                "command (e.g. harness build --plain -- make)"
            )
        raise NotBuiltError(
            f"target '{target.name}' has no {profile} build with {cc} (no {binary}); "
            f"run: {build_command(profile, cc, target.name)}"
        )
    absolute = str(input_path.resolve())
    args = tuple(arg.replace("{input}", absolute) for arg in target.args)
    stdin = input_path if target.input == "stdin" else None
    return Subject(target, input_path, cc, binary, (str(binary), *args), stdin)
