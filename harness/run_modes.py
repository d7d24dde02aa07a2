"""The three ways `harness run` executes a target, and the outside tools each needs.

- `sanitizer` (default): the binary built with the chosen sanitizer profile.
  runs.jsonl records the profile (`asan`, `asan+ubsan`, ...).
- `valgrind` (`--valgrind`): Valgrind memcheck on the `plain` build, XML
  logs `memcheck.<pid>.xml` in the job folder. runs.jsonl records the
  profile `memcheck`.
- `leaks` (`--leaks`): the `plain` build with the LeakSanitizer runtime
  preloaded (LD_PRELOAD), a leak ledger without rebuilding: logs
  `lsan.<pid>`. runs.jsonl records the profile `leaks`.
- `ltrace` and `jemalloc` (`harness ledger --via ...`, no `run` flag): the
  plain build under ltrace tracing the allocator (`ltrace.txt` and the
  dynamic linker's `ld.<pid>` load map), or with jemalloc's heap profiler
  preloaded (`jeprof.<pid>.*.heap`). runs.jsonl records `ltrace` / `jemalloc`.

Finding a runtime library or Valgrind is done once per run, at planning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness import proc
from harness.errors import ToolError, UsageError
from harness.profiles import Profile

SANITIZER = "sanitizer"
VALGRIND = "valgrind"
LEAKS = "leaks"
MEMCHECK_PROFILE = "memcheck"
LEAKS_PROFILE = "leaks"
LTRACE = "ltrace"
JEMALLOC = "jemalloc"

# memcheck runs a program 10-50 times slower (Valgrind's manual, "Memcheck");
# each job's configured timeout is multiplied by this under --valgrind.
VALGRIND_SLOWDOWN = 20.0
# The exit code memcheck gives a program in which it found errors: distinct
# from the codes the samples and most programs use themselves.
MEMCHECK_ERROR_EXIT = 99
VALGRIND_LOG_STEM = "memcheck"

# LSAN_OPTIONS for a preloaded runtime. A plain build's libc has no frame
# pointers, and the standalone LSan runtime intercepts only the allocator
# itself: strdup, getline and friends allocate from inside glibc, where the
# frame-pointer unwinder stops, leaving stacks without the program's frames.
# The DWARF unwinder gets through (slower, but only at each allocation).
LEAKS_OPTIONS = (("fast_unwind_on_malloc", "0"),)

INSTALL_VALGRIND = "install Valgrind (Debian/Ubuntu: apt-get install valgrind)"
INSTALL_LSAN = "install the LeakSanitizer runtime (Debian/Ubuntu: apt-get install liblsan0)"
INSTALL_LTRACE = "install ltrace (Debian/Ubuntu: apt-get install ltrace)"
INSTALL_JEMALLOC = "install jemalloc (Debian/Ubuntu: apt-get install libjemalloc2 libjemalloc-dev)"

# The allocator entry points ltrace stops at, by the library that defines them.
# libstdc++'s name is a glob: a literal '+' would split ltrace's filter, whose
# rules are joined by '+'.
LTRACE_LIBC = (
    "malloc",
    "calloc",
    "realloc",
    "free",
    "posix_memalign",
    "aligned_alloc",
    "memalign",
    "strdup",
    "strndup",
    # Its first argument is main's address: where the program was loaded.
    "__libc_start_main",
)
LTRACE_CXX = ("_Znwm", "_Znam", "_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm")
LTRACE_LOG = "ltrace.txt"
# The dynamic linker's own account of where it loaded each library (LD_DEBUG=files).
LOAD_MAP_STEM = "ld"
LTRACE_PROTOTYPES = "ltrace-alloc.conf"
JEMALLOC_SONAME = "libjemalloc.so.2"
JEMALLOC_PREFIX = "jeprof"
# Every allocation sampled (lg_prof_sample:0) so counts are exact; prof_final
# dumps the heap still allocated at exit; prof_leak prints the leak summary;
# prof_accum adds every stack's allocations over the whole run.
JEMALLOC_CONF = "prof:true,prof_leak:true,lg_prof_sample:0,prof_final:true,prof_accum:true"

# The leak checker's runtime as a shared library: clang's own when it ships one
# (not every clang does: clang 14 on Debian has only the static one), else
# gcc's liblsan, which works for any binary since LSan instruments nothing.
CLANG_LSAN = "libclang_rt.lsan-x86_64.so"
GCC_LSAN = "liblsan.so"
GCC_LSAN_SONAME = "liblsan.so.0"
# The shared runtime a sanitizer build's extension module needs preloaded into
# its interpreter, per compiler family and primary sanitizer.
SHARED_RUNTIMES: dict[str, dict[str, str]] = {
    "gcc": {"address": "libasan.so", "leak": GCC_LSAN, "undefined": "libubsan.so"},
    "clang": {
        "address": "libclang_rt.asan-x86_64.so",
        "leak": CLANG_LSAN,
        "undefined": "libclang_rt.ubsan_standalone-x86_64.so",
    },
}


@dataclass(frozen=True, slots=True)
class Mode:
    """How jobs run: the profile recorded in runs.jsonl and the timeout factor."""

    name: str
    recorded_profile: str | None
    timeout_factor: float = 1.0

    @property
    def uses_plain_build(self) -> bool:
        return self.name != SANITIZER


# ltrace stops the program twice (breakpoint, return) at every allocator call.
LTRACE_SLOWDOWN = 50.0
# jemalloc records a backtrace at every allocation (lg_prof_sample:0).
JEMALLOC_SLOWDOWN = 4.0

MODES = {
    SANITIZER: Mode(SANITIZER, None),
    VALGRIND: Mode(VALGRIND, MEMCHECK_PROFILE, VALGRIND_SLOWDOWN),
    LEAKS: Mode(LEAKS, LEAKS_PROFILE),
    LTRACE: Mode(LTRACE, LTRACE, LTRACE_SLOWDOWN),
    JEMALLOC: Mode(JEMALLOC, JEMALLOC, JEMALLOC_SLOWDOWN),
}


def choose_mode(valgrind: bool, leaks: bool, profile: str | None) -> Mode:
    """--valgrind / --leaks / neither. Raises UsageError on a conflicting pair."""
    if valgrind and leaks:
        raise UsageError("--valgrind and --leaks are separate runs; give one of them")
    chosen = MODES[VALGRIND if valgrind else LEAKS if leaks else SANITIZER]
    if chosen.uses_plain_build and profile not in (None, "plain"):
        raise UsageError(
            f"--{chosen.name} runs the plain build (harness build --plain); "
            f"drop --profile {profile}"
        )
    return chosen


def memcheck_argv(valgrind: str, job_dir: Path) -> tuple[str, ...]:
    """Valgrind's command line before the program's own. Why each option:
    XML because it is the format memcheck documents as stable for tools; %p
    keeps one file per process, children included (--trace-children); the
    leak kinds are those the harness turns into findings ("reachable" blocks
    are not bugs); --error-exitcode tells a dirty run from the program's own
    exit codes; --log-file keeps Valgrind's own messages out of the
    program's stderr."""
    stem = job_dir / VALGRIND_LOG_STEM
    return (
        valgrind,
        "--tool=memcheck",
        "--xml=yes",
        f"--xml-file={stem}.%p.xml",
        "--leak-check=full",
        "--show-leak-kinds=definite,indirect,possible",
        "--trace-children=yes",
        "--child-silent-after-fork=no",
        f"--error-exitcode={MEMCHECK_ERROR_EXIT}",
        f"--log-file={stem}.%p.txt",
    )


def ltrace_filter() -> str:
    """ltrace's -x filter: the allocator functions in libc and libstdc++."""
    rules = [f"{name}@libc.so.6" for name in LTRACE_LIBC]
    rules += [f"{name}@libstdc??.so*" for name in LTRACE_CXX]
    return "+".join(rules)


def ltrace_argv(ltrace: str, job_dir: Path, prototypes: Path) -> tuple[str, ...]:
    """ltrace's command line before the program's. Why each option: -x stops at
    the functions' own entry (calls made inside libc, like fopen's malloc,
    included), -L leaves every other call untraced, -i prints each call's return
    address (the call site), -f follows children, -F gives the prototypes that
    make ltrace print sizes and addresses in full."""
    return (
        ltrace,
        "-f",
        "-i",
        "-L",
        "-F",
        str(prototypes),
        "-o",
        str(job_dir / LTRACE_LOG),
        "-x",
        ltrace_filter(),
    )


def mode_env(mode: Mode, job_dir: Path) -> dict[str, str]:
    """Variables a ledger mode sets in the job's environment."""
    if mode.name == LTRACE:
        return {"LD_DEBUG": "files", "LD_DEBUG_OUTPUT": str(job_dir / LOAD_MAP_STEM)}
    if mode.name == JEMALLOC:
        prefix = job_dir / JEMALLOC_PREFIX
        return {"MALLOC_CONF": f"{JEMALLOC_CONF},prof_prefix:{prefix}"}
    return {}


def find_ltrace() -> str:
    path = proc.which("ltrace")
    if path is None:
        raise ToolError(f"ltrace not found on PATH; {INSTALL_LTRACE}")
    return path


def jemalloc_library() -> str:
    """libjemalloc.so.2 from the dynamic linker's cache. Raises ToolError."""
    found = ldconfig_lookup(JEMALLOC_SONAME)
    if found is None:
        raise ToolError(f"jemalloc ({JEMALLOC_SONAME}) not found; {INSTALL_JEMALLOC}")
    return found


def find_valgrind() -> str:
    path = proc.which("valgrind")
    if path is None:
        raise ToolError(f"--valgrind: valgrind not found on PATH; {INSTALL_VALGRIND}")
    return path


def leak_runtime(cc: str, compiler_path: str | None) -> str:
    """The LeakSanitizer runtime to preload into a plain build. Raises ToolError."""
    candidates: list[tuple[str, str]] = []
    if cc == "clang":
        candidates.append((compiler_path or "clang", CLANG_LSAN))
    candidates.append(("gcc", GCC_LSAN))
    for compiler, name in candidates:
        found = library_path(compiler, name)
        if found:
            return found
    from_cache = ldconfig_lookup(GCC_LSAN_SONAME)
    if from_cache:
        return from_cache
    raise ToolError(f"--leaks: no LeakSanitizer runtime ({GCC_LSAN_SONAME}) found; {INSTALL_LSAN}")


def extension_runtime(cc: str, compiler_path: str | None, profile: Profile) -> str | None:
    """The sanitizer runtime an extension built with `profile` needs preloaded into
    the interpreter (the runtime its compiler used); None for plain. Raises
    UsageError for sanitizers an uninstrumented interpreter cannot host."""
    sanitizers = profile.sanitizers
    if not sanitizers:
        return None
    unsupported = {"memory", "thread"} & set(sanitizers)
    if unsupported:
        raise UsageError(
            f"profile {profile.name}: {' and '.join(sorted(unsupported))} sanitizers need the "
            "interpreter itself instrumented; run python-extension targets with asan, lsan "
            "or ubsan"
        )
    primary = next(s for s in ("address", "leak", "undefined") if s in sanitizers)
    if primary == "leak":
        return leak_runtime(cc, compiler_path)
    name = SHARED_RUNTIMES[cc][primary]
    found = library_path(compiler_path or cc, name)
    if found is None:
        raise ToolError(
            f"{compiler_path or cc} has no shared sanitizer runtime {name} to preload into the "
            "interpreter; install the compiler's sanitizer runtimes "
            "(Debian/Ubuntu: libasan8 libubsan1, or libclang-rt-NN-dev for clang-NN)"
        )
    return found


def library_path(compiler: str, name: str) -> str | None:
    """`<compiler> -print-file-name=<name>` when that names an existing file.

    Both gcc and clang echo the bare name back when they have no such file."""
    if proc.which(compiler) is None:
        return None
    done = proc.run([compiler, f"-print-file-name={name}"], check=False, timeout=30)
    printed = done.stdout.strip()
    if done.returncode != 0 or not printed.startswith("/") or not Path(printed).is_file():
        return None
    return str(Path(printed).resolve())


def ldconfig_lookup(soname: str) -> str | None:
    """The path the dynamic linker's cache gives for `soname` (x86-64 entries)."""
    ldconfig = proc.which("ldconfig") or next(
        (path for path in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if Path(path).is_file()), None
    )
    if ldconfig is None:
        return None
    done = proc.run([ldconfig, "-p"], check=False, timeout=30)
    return parse_ldconfig(done.stdout, soname)


def parse_ldconfig(text: str, soname: str) -> str | None:
    """`liblsan.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/liblsan.so.0` → the path."""
    pattern = re.compile(rf"^\s*{re.escape(soname)}\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$")
    for line in text.splitlines():
        match = pattern.match(line)
        if match and "x86-64" in match.group(1):
            return match.group(2)
    return None
