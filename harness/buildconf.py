"""What the SConstruct imports: a build plan as plain data, and its SCons declaration.

`harness build` makes a BuildPlan (compiler, flags, targets), writes it as
JSON and hands it to SCons with `plan=FILE`; the packaged SConstruct
(harness/sconstruct.py) and the repository's own SConstruct both call
`sconstruct_main()`, which declares one Program per target. Typed by hand,
`scons profile=asan cc=clang [TARGET...]` makes the plan from harness.toml
itself.

Layout (contract): the binary is `build/<cc>-<profile>/<target>`; its object
files go under `build/<cc>-<profile>/.obj/<target>/`, and SCons keeps its
signatures in `build/<cc>-<profile>/.sconsign.dblite`, never in the root.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from harness import interpreters, toolchain
from harness.config import PROGRAM, PYTHON_EXTENSION, Config, Target
from harness.errors import HarnessError, UsageError
from harness.profiles import Profile
from harness.toolchain import Compiler

BUILD_DIR = "build"
RECORD_NAME = "build.json"
OBJECT_DIR = ".obj"
SCONSIGN_NAME = ".sconsign"


@dataclass(frozen=True, slots=True)
class TargetPlan:
    """One Program: paths relative to the project root, flags in command-line order."""

    name: str
    language: str
    sources: tuple[str, ...]
    binary: str
    cflags: tuple[str, ...]
    ldflags: tuple[str, ...]
    kind: str = PROGRAM
    # python-extension only: the interpreter it is built for (its real executable).
    interpreter: str | None = None

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "binary": self.binary,
            "language": self.language,
            "sources": list(self.sources),
            "cflags": list(self.cflags),
            "ldflags": list(self.ldflags),
        }
        if self.kind != PROGRAM:
            entry |= {"kind": self.kind, "interpreter": self.interpreter}
        return entry

    @property
    def is_python_extension(self) -> bool:
        return self.kind == PYTHON_EXTENSION

    @property
    def is_extension(self) -> bool:
        """A shared library an interpreter loads (python-extension, node-addon)."""
        return self.kind != PROGRAM


@dataclass(frozen=True, slots=True)
class BuildPlan:
    """Everything SCons needs, and what build.json records beside the binaries."""

    variant: str
    compiler: Compiler
    profile: str
    cflags: tuple[str, ...]
    ldflags: tuple[str, ...]
    targets: tuple[TargetPlan, ...]

    def record(self) -> dict[str, Any]:
        """The build.json contract: cc, compiler, path, cxx_path, profile, cflags,
        ldflags (shared by every target) and targets (each with its full flags)."""
        return {
            "cc": self.compiler.cc,
            "compiler": self.compiler.label,
            "version": self.compiler.version,
            "path": self.compiler.path,
            "cxx_path": self.compiler.cxx_path,
            "profile": self.profile,
            "variant": self.variant,
            "cflags": list(self.cflags),
            "ldflags": list(self.ldflags),
            "targets": {target.name: target.to_json() for target in self.targets},
        }


def variant_dir(cc: str, profile: str) -> str:
    """`build/gcc-asan`, relative to the project root."""
    return f"{BUILD_DIR}/{cc}-{profile}"


def make_plan(
    compiler: Compiler, profile: Profile, targets: tuple[Target, ...], shared: tuple[str, ...]
) -> BuildPlan:
    """The plan for building `targets` (all with sources) with `shared` profile flags."""
    variant = variant_dir(compiler.cc, profile.name)
    cflags = (*toolchain.BASE_FLAGS, *shared)
    plans = []
    for target in targets:
        if target.language == "c++":
            compiler.require_cxx(target.name)
        plan = TargetPlan(
            name=target.name,
            language=target.language,
            sources=target.sources,
            binary=f"{variant}/{target.name}",
            cflags=(*cflags, target.optimization, *target.cflags),
            ldflags=(*shared, *target.ldflags),
        )
        plans.append(
            extension_plan(plan, target, compiler, shared) if target.is_extension else plan
        )
    return BuildPlan(variant, compiler, profile.name, cflags, shared, tuple(plans))


def extension_path(variant: str, target: str, module: str, ext_suffix: str) -> str:
    """`build/gcc-asan/<target>/<module><EXT_SUFFIX>`: a folder per target, so the
    interpreter imports the module by its own name from there (PYTHONPATH)."""
    return f"{variant}/{target}/{module}{ext_suffix}"


def extension_plan(
    plan: TargetPlan, target: Target, compiler: Compiler, shared: tuple[str, ...]
) -> TargetPlan:
    """A program's plan turned into an extension's (a CPython module or a Node.js
    addon, `<module>.node`, built without node-gyp): position-independent
    code, the interpreter's headers, a shared library named as the interpreter
    imports it. The sanitizer runtime is not linked into the module: the
    interpreter gets it preloaded, and one process must hold exactly one copy.
    clang leaves it out of shared libraries unless told -shared-libasan (which
    makes the module name the shared runtime); gcc links libasan dynamically anyway."""
    interpreter = interpreters.describe_for(target.kind, target.interpreter)
    variant = plan.binary.rsplit("/", 1)[0]
    module = target.module or target.name
    # node_api.h's NAPI_MODULE(NODE_GYP_MODULE_NAME, init) expects node-gyp's define.
    defines = (f"-DNODE_GYP_MODULE_NAME={module}",) if target.is_node_addon else ()
    ldflags = list(plan.ldflags)
    if compiler.cc == "clang" and any(flag.startswith("-fsanitize=address") for flag in shared):
        ldflags.insert(0, "-shared-libasan")
    return dataclasses.replace(
        plan,
        binary=extension_path(variant, target.name, module, interpreter.ext_suffix),
        cflags=(*plan.cflags, "-fPIC", f"-I{interpreter.include}", *defines),
        ldflags=tuple(ldflags),
        kind=target.kind,
        interpreter=interpreter.executable,
    )


def plan_from_json(data: dict[str, Any]) -> BuildPlan:
    """Inverse of BuildPlan.record()."""
    compiler = Compiler(data["cc"], data["path"], data["cxx_path"], data["version"])
    targets = tuple(
        TargetPlan(
            name=name,
            language=entry["language"],
            sources=tuple(entry["sources"]),
            binary=entry["binary"],
            cflags=tuple(entry["cflags"]),
            ldflags=tuple(entry["ldflags"]),
            kind=entry.get("kind", PROGRAM),
            interpreter=entry.get("interpreter"),
        )
        for name, entry in data["targets"].items()
    )
    return BuildPlan(
        variant=data["variant"],
        compiler=compiler,
        profile=data["profile"],
        cflags=tuple(data["cflags"]),
        ldflags=tuple(data["ldflags"]),
        targets=targets,
    )


def object_path(variant: str, target: str, source: str) -> str:
    """Where a source's object file goes; `..` and a leading `/` are kept inside the variant."""
    parts = [part if part != ".." else "__" for part in PurePosixPath(source).parts if part != "/"]
    stem = PurePosixPath(*parts).with_suffix("")
    return f"{variant}/{OBJECT_DIR}/{target}/{stem}"


def split_ldflags(flags: tuple[str, ...]) -> tuple[list[str], list[str], list[str]]:
    """(LINKFLAGS, LIBPATH, LIBS): SCons puts -l after the objects, where linkers want them."""
    link, paths, libs = [], [], []
    for flag in flags:
        if flag.startswith("-l") and len(flag) > 2:
            libs.append(flag[2:])
        elif flag.startswith("-L") and len(flag) > 2:
            paths.append(flag[2:])
        else:
            link.append(flag)
    return link, paths, libs


def declare(plan: BuildPlan, root: Path) -> list[Any]:
    """Declare the plan's Programs to SCons (call from a SConstruct). Returns the nodes."""
    from SCons.Script import Environment, SConsignFile

    SConsignFile(str(root / plan.variant / SCONSIGN_NAME))
    env = Environment(
        CC=plan.compiler.path,
        CXX=plan.compiler.cxx_path or "c++",
        # SCons gives tools a fixed PATH; the compiler's assembler and linker
        # live where the user's PATH says.
        ENV={"PATH": os.environ.get("PATH", os.defpath)},
    )
    programs = []
    for target in plan.targets:
        compile_one = env.SharedObject if target.is_extension else env.Object
        objects = [
            compile_one(
                object_path(plan.variant, target.name, source), source, CCFLAGS=target.cflags
            )
            for source in target.sources
        ]
        link, paths, libs = split_ldflags(target.ldflags)
        linked = dict(LINKFLAGS=link, LIBPATH=paths, LIBS=libs)
        if target.is_extension:
            # The file name is whole already (module + EXT_SUFFIX): no lib prefix, no .so added.
            suffix = "." + target.binary.rsplit("/", 1)[-1].split(".", 1)[1]
            program = env.SharedLibrary(
                target.binary, objects, SHLIBPREFIX="", SHLIBSUFFIX=suffix, **linked
            )
        else:
            program = env.Program(target.binary, objects, **linked)
        env.Alias(target.name, program)
        programs.extend(program)
    return programs


def sconstruct_main() -> None:
    """Body of every SConstruct: `plan=FILE` from harness build, else read harness.toml."""
    from SCons.Script import ARGUMENTS, Default, Dir, Exit

    root = Path(Dir("#").abspath)
    if "plan" in ARGUMENTS:
        plan = plan_from_json(json.loads(Path(ARGUMENTS["plan"]).read_text(encoding="utf-8")))
        Default(declare(plan, root))
        return
    try:
        plan = _plan_from_arguments(root, ARGUMENTS)
    except HarnessError as exc:
        # SCons would print a traceback; the message alone says what to fix.
        print(f"harness: error: {exc}", file=sys.stderr)
        Exit(exc.exit_code)
    Default(declare(plan, root), _declare_record(plan))


def _plan_from_arguments(root: Path, arguments: dict[str, str]) -> BuildPlan:
    """`scons profile=asan cc=gcc` typed in a project: every target with sources."""
    from harness.config import CONFIG_NAME, load
    from harness.profiles import parse_profile

    config: Config = load(root / CONFIG_NAME)
    profile = parse_profile(arguments.get("profile", "asan"))
    cc = toolchain.default_family(arguments.get("cc", config.cc))
    toolchain.check_supported(cc, profile)
    compiler = toolchain.find_compiler(cc, needs_runtime=not profile.is_plain)
    shared = toolchain.sanitizer_flags(compiler, profile)
    targets = tuple(target for target in config.targets if target.built_by_harness)
    if not targets:
        raise UsageError(f"{config.path}: no target has 'sources'; nothing for SCons to build")
    return make_plan(compiler, profile, targets, shared)


def _declare_record(plan: BuildPlan) -> Any:
    """build.json as a SCons target, rewritten only when its content changes."""
    from SCons.Script import Action, Command, Value

    text = json.dumps(plan.record(), indent=2) + "\n"

    def write(target: Any, source: Any, env: Any) -> None:
        Path(str(target[0])).write_text(text, encoding="utf-8")

    return Command(f"{plan.variant}/{RECORD_NAME}", Value(text), Action(write, "Writing $TARGET"))
