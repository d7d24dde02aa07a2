"""Compilers and sanitizer flags: which gcc or clang to use, and what each profile adds.

A compiler is found once per build: gcc (with g++) or clang (with clang++),
where clang may be a versioned `clang-NN`. Sanitizer flags come from one
table, PROFILE_FLAGS, with the reason for each flag beside it; the few
questions only the compiler can answer (does it accept `address,leak` in one
flag, does its sanitizer runtime link) are asked by compiling a tiny program,
once per process.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness import proc
from harness.errors import ToolError, UsageError
from harness.profiles import Profile

FAMILIES = ("gcc", "clang")

# Flags every build gets, whatever the profile.
BASE_FLAGS: tuple[str, ...] = (
    # Debug line tables: sanitizer stacks and symbolizers print file:line from them.
    "-g",
    # The sanitizers' fast unwinder walks frame pointers; without them stacks
    # are cut short and findings lose the frames their signatures are made of.
    "-fno-omit-frame-pointer",
)

# Profile part → flags for both compiling and linking (the sanitizer runtimes
# are linked in by the same -fsanitize= flag).
PROFILE_FLAGS: dict[str, tuple[str, ...]] = {
    # AddressSanitizer (out of bounds, use after free, double free) plus
    # LeakSanitizer at exit. A compiler that rejects the pair gets
    # -fsanitize=address alone, which includes LeakSanitizer on Linux.
    "asan": ("-fsanitize=address,leak",),
    # LeakSanitizer alone: leaks only, at almost no run-time cost.
    "lsan": ("-fsanitize=leak",),
    # UndefinedBehaviorSanitizer, kept recoverable (no -fno-sanitize-recover):
    # one run reports every distinct undefined behaviour, and the runner's
    # UBSAN_OPTIONS decide whether the first one halts the program.
    "ubsan": ("-fsanitize=undefined",),
    # MemorySanitizer (clang only): uses of uninitialized memory.
    # -fsanitize-memory-track-origins makes the report say where the value was
    # created, which is what makes an MSan report actionable.
    "msan": ("-fsanitize=memory", "-fsanitize-memory-track-origins"),
    # ThreadSanitizer: data races.
    "tsan": ("-fsanitize=thread",),
}
ASAN_WITH_LEAK = "-fsanitize=address,leak"
ASAN_ALONE = "-fsanitize=address"
CLANG_ONLY = {"msan": "MemorySanitizer"}

INSTALL_HINTS = {
    "gcc": "install gcc and g++ (Debian/Ubuntu: apt-get install gcc g++)",
    "clang": "install clang and its sanitizer runtimes "
    "(Debian/Ubuntu: apt-get install clang-14 libclang-rt-14-dev)",
}
_PROBE_SOURCE = "int main(void) { return 0; }\n"


@dataclass(frozen=True, slots=True)
class Compiler:
    """One C compiler and its C++ sibling (None when that is not installed)."""

    cc: str
    path: str
    cxx_path: str | None
    version: str

    @property
    def label(self) -> str:
        """`gcc 12.2.0`, `clang 14.0.6`: what build.json and runs.jsonl record."""
        return f"{self.cc} {self.version}"

    def require_cxx(self, target: str) -> str:
        if self.cxx_path is None:
            raise ToolError(
                f"target '{target}' is C++ but no C++ compiler matches {self.path} "
                f"({cxx_name(Path(self.path).name)} not found); {INSTALL_HINTS[self.cc]}"
            )
        return self.cxx_path


def parse_version(text: str) -> str:
    """`gcc 12.2.0` from `-dumpfullversion`, `14.0.6` from `clang --version` output."""
    labelled = re.search(r"version\s+(\d+(?:\.\d+)+)", text)
    if labelled:
        return labelled.group(1)
    bare = re.search(r"\d+(?:\.\d+)+", text)
    return bare.group(0) if bare else "unknown"


def cxx_name(cc_name: str) -> str:
    """The C++ driver beside a C driver: gcc → g++, gcc-12 → g++-12, clang-14 → clang++-14."""
    if cc_name.startswith("gcc"):
        return "g++" + cc_name[len("gcc") :]
    if cc_name.startswith("clang"):
        return "clang++" + cc_name[len("clang") :]
    return cc_name


def clang_candidates(names: Iterable[str]) -> list[str]:
    """Plain `clang` first, then `clang-NN` from the highest version down."""
    versioned = sorted(
        (name for name in set(names) if re.fullmatch(r"clang-\d+", name)),
        key=lambda name: int(name.split("-")[1]),
        reverse=True,
    )
    plain = ["clang"] if "clang" in names else []
    return plain + versioned


def check_supported(cc: str, profile: Profile) -> None:
    """Raise UsageError for a profile the compiler family cannot build (MSan with gcc)."""
    if cc not in FAMILIES:
        raise UsageError(f"unknown compiler '{cc}'; use one of: {', '.join(FAMILIES)}")
    for part in profile.parts:
        if part in CLANG_ONLY and cc != "clang":
            raise UsageError(
                f"profile '{profile.name}': {CLANG_ONLY[part]} is clang-only; "
                "build it with --cc clang"
            )


def default_family(configured: str | None) -> str:
    """The config's `[project] cc`, else the first installed of gcc and clang."""
    if configured:
        return configured
    for family in FAMILIES:
        if _installed(family):
            return family
    return FAMILIES[0]


def find_compiler(cc: str, *, needs_runtime: bool = True) -> Compiler:
    """Locate gcc or clang (and the matching C++ driver). Raises ToolError when missing.

    With `needs_runtime`, a clang whose sanitizer runtime does not link is
    passed over for the next version; plain `clang` is preferred."""
    if cc == "gcc":
        path = proc.which("gcc")
        if path is None:
            raise ToolError(f"gcc not found on PATH; {INSTALL_HINTS['gcc']}")
        return _describe("gcc", path)
    if cc != "clang":
        raise UsageError(f"unknown compiler '{cc}'; use one of: {', '.join(FAMILIES)}")
    found = [path for name in clang_candidates(_names_on_path()) if (path := proc.which(name))]
    if not found:
        raise ToolError(f"clang not found on PATH; {INSTALL_HINTS['clang']}")
    if not needs_runtime:
        return _describe("clang", found[0])
    for path in found:
        if links(path, (ASAN_ALONE,)):
            return _describe("clang", path)
    raise ToolError(
        f"{', '.join(found)}: the sanitizer runtime does not link; "
        f"{INSTALL_HINTS['clang']} (libclang-rt-NN-dev for clang-NN)"
    )


def sanitizer_flags(compiler: Compiler, profile: Profile) -> tuple[str, ...]:
    """The profile's compile-and-link flags for this compiler (BASE_FLAGS not included)."""
    check_supported(compiler.cc, profile)
    flags: list[str] = []
    for part in profile.parts:
        for flag in PROFILE_FLAGS[part]:
            if flag == ASAN_WITH_LEAK and not links(compiler.path, (ASAN_WITH_LEAK,)):
                flag = ASAN_ALONE
            if flag not in flags:
                flags.append(flag)
    return tuple(flags)


def check_runtime(compiler: Compiler, flags: tuple[str, ...]) -> None:
    """Raise ToolError, with the compiler's message, when these flags do not link."""
    if not flags or links(compiler.path, flags):
        return
    message = _link_error(compiler.path, flags)
    raise ToolError(
        f"{compiler.label} ({compiler.path}) cannot link a program with {' '.join(flags)}; "
        f"install its sanitizer runtime ({_runtime_hint(compiler)})",
        message,
    )


@functools.lru_cache(maxsize=64)
def links(path: str, flags: tuple[str, ...]) -> bool:
    """Whether `path` compiles and links a tiny C program with `flags` (cached)."""
    return not _link_error(path, flags)


def _link_error(path: str, flags: tuple[str, ...]) -> str:
    """The compiler's stderr when the probe fails, "" when it links."""
    with tempfile.TemporaryDirectory(prefix="harness-probe-") as folder:
        source = Path(folder, "probe.c")
        source.write_text(_PROBE_SOURCE)
        done = proc.run(
            [path, *flags, str(source), "-o", str(Path(folder, "probe"))],
            check=False,
            timeout=60,
            what=f"{Path(path).name} probe",
        )
    if done.returncode == 0:
        return ""
    return done.stderr or f"exit code {done.returncode}"


def _runtime_hint(compiler: Compiler) -> str:
    if compiler.cc == "clang":
        major = compiler.version.split(".")[0]
        return f"Debian/Ubuntu: apt-get install libclang-rt-{major}-dev"
    return "Debian/Ubuntu: apt-get install libasan8 liblsan0 libubsan1 libtsan2"


def _describe(cc: str, path: str) -> Compiler:
    cxx = proc.which(cxx_name(Path(path).name))
    return Compiler(cc=cc, path=path, cxx_path=cxx, version=_version(cc, path))


@functools.lru_cache(maxsize=16)
def _version(cc: str, path: str) -> str:
    # gcc's --version line carries the distribution's text; -dumpfullversion is exact.
    argv = [path, "-dumpfullversion"] if cc == "gcc" else [path, "--version"]
    done = proc.run(argv, timeout=30, what=f"{Path(path).name} --version")
    return parse_version(done.stdout)


def _installed(family: str) -> bool:
    if family == "gcc":
        return proc.which("gcc") is not None
    return any(proc.which(name) for name in clang_candidates(_names_on_path()))


def _names_on_path() -> set[str]:
    """Executable names that look like clang drivers, from every folder on PATH."""
    names: set[str] = set()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        try:
            names.update(entry.name for entry in os.scandir(folder) if entry.name[:5] == "clang")
        except OSError:
            continue  # a PATH entry that is missing or unreadable holds no compiler
    return names
