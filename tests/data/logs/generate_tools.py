"""Record what real UBSan, CFI, MSan, TSan and Valgrind memcheck print for known bugs.

Run by hand, not in CI: `python tests/data/logs/generate_tools.py [LOG...]`. It
compiles ub.c, ub.cc, cfi.cc, msan.c, races.c, memcheck.c, memcheck.cc and
memcheck_fork.c with gcc and/or clang-14, runs every case, and writes the
merged stdout+stderr to DIR/CASE.log, DIR being `<cc>-<profile>` (as under
build/) or `memcheck` and `memcheck-xml` (valgrind's text and --xml=yes
output), plus `cross/`: one heap overflow seen by ASan and by memcheck. Given
LOG names (`memcheck/fork_interleaved`, `clang-tsan/data_race`), only those
logs are written, so that the others stay as they are. Then
`pytest tests/integration/test_parse_real_logs.py --regen-golden` writes the
expected JSON beside each log; review those by eye before committing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = ["-g", "-O1", "-fno-omit-frame-pointer"]
UBSAN = ["-fsanitize=undefined,float-divide-by-zero,float-cast-overflow"]
CONVERSION = ["-fsanitize=implicit-conversion"]
CFI = ["-fsanitize=cfi", "-fno-sanitize-trap=cfi", "-flto", "-fvisibility=hidden", "-fuse-ld=gold"]
MSAN = ["-fsanitize=memory", "-fsanitize-memory-track-origins=2"]
TSAN = ["-fsanitize=thread"]
ASAN = ["-fsanitize=address"]
COMPILERS = {"gcc": ("gcc", "g++"), "clang": ("clang-14", "clang++-14")}

# (log name, argv case, UBSAN_OPTIONS)
UBSAN_CASES = [
    ("several", "several", "print_stacktrace=0"),
    ("several_stack", "several", "print_stacktrace=1"),
    ("halt_on_error", "several", "print_stacktrace=1:halt_on_error=1"),
    ("divide_by_zero", "divide_by_zero", "print_stacktrace=1"),
    ("null_load", "null_load", "print_stacktrace=1"),
    ("float_divide_by_zero", "float_divide_by_zero", "print_stacktrace=1:report_error_type=1"),
    ("float_cast_overflow", "float_cast_overflow", "print_stacktrace=1"),
    ("nonnull_argument", "nonnull_argument", "print_stacktrace=1"),
    ("unreachable", "unreachable", "print_stacktrace=1"),
]
CLANG_UBSAN_CASES = [
    ("pointer_overflow", "pointer_overflow", "print_stacktrace=1"),
    ("report_error_type", "several", "print_stacktrace=0:report_error_type=1"),
]
# clang only, built with CONVERSION too: (log name, argv case, UBSAN_OPTIONS)
CONVERSION_CASES = [
    ("implicit_conversion", "implicit_conversion", "print_stacktrace=1:report_error_type=1"),
]
# ub.cc: (log name, argv case)
UBSAN_CXX_CASES = [("vptr", "vptr"), ("missing_return", "missing_return")]
CFI_CASES = ["vcall", "icall", "unrelated_cast", "derived_cast"]
MSAN_CASES = ["heap_origin", "stack_origin"]
TSAN_CASES = [
    "data_race",
    "heap_race",
    "locked_race",
    "lock_order_inversion",
    "thread_leak",
    "use_after_free",
    "unlock_unlocked",
    "double_lock",
    "signal_unsafe",
]
MEMCHECK_CASES = [
    "heap_overflow_write",
    "heap_overflow_read",
    "use_after_free",
    "double_free",
    "overlap",
    "uninit_condition",
    "leaks",
    "null_write",
    "fishy_size",
    "output_glued",
    "syscall_uninit",
    "realloc_use",
]
VALGRIND = [
    "valgrind",
    "--leak-check=full",
    "--show-leak-kinds=definite,indirect,possible",
    "--track-origins=yes",
    "--num-callers=12",
]


# The logs named on the command line (`memcheck/leaks`); empty: every log.
WANTED: set[str] = set()


def wanted(log: Path) -> bool:
    return not WANTED or f"{log.parent.name}/{log.stem}" in WANTED


def build(argv: list[str], cwd: Path) -> None:
    subprocess.run(argv, cwd=cwd, check=True)


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    full = dict(os.environ)
    full.update(env)
    return subprocess.run(
        argv, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60
    )


def record(argv: list[str], env: dict[str, str], log: Path) -> bytes:
    """Run `argv` and write its merged output to `log`, when that log is wanted."""
    if not wanted(log):
        return b""
    result = run(argv, env)
    log.parent.mkdir(exist_ok=True)
    log.write_bytes(result.stdout)
    print(f"{log.parent.name}/{log.name}: exit {result.returncode}, {len(result.stdout)} bytes")
    return result.stdout


def sanitizers(src: Path, out: Path) -> None:
    prefix = [f"-fdebug-prefix-map={src}=/src"]
    for name, (cc, cxx) in COMPILERS.items():
        logs = HERE / f"{name}-ubsan"
        ub = out / f"ub-{name}"
        build([cc, *BASE, *prefix, *UBSAN, "ub.c", "-o", str(ub)], src)
        cases = UBSAN_CASES + (CLANG_UBSAN_CASES if name == "clang" else [])
        for log, case, options in cases:
            record([str(ub), case], {"UBSAN_OPTIONS": options}, logs / f"{log}.log")
        if name == "clang":
            converting = out / "ub-conversion-clang"
            build([cc, *BASE, *prefix, *UBSAN, *CONVERSION, "ub.c", "-o", str(converting)], src)
            for log, case, options in CONVERSION_CASES:
                record([str(converting), case], {"UBSAN_OPTIONS": options}, logs / f"{log}.log")
        ub_cxx = out / f"ub-cxx-{name}"
        build([cxx, *BASE, *prefix, *UBSAN, "ub.cc", "-o", str(ub_cxx)], src)
        for log, case in UBSAN_CXX_CASES:
            options = {"UBSAN_OPTIONS": "print_stacktrace=1"}
            record([str(ub_cxx), case], options, logs / f"{log}.log")
        mixed = out / f"ub-asan-{name}"
        build([cc, *BASE, *prefix, *ASAN, *UBSAN, "ub.c", "-o", str(mixed)], src)
        options = {"UBSAN_OPTIONS": "print_stacktrace=1", "ASAN_OPTIONS": "detect_leaks=0"}
        record([str(mixed), "null_load"], options, HERE / f"{name}-asan+ubsan" / "null_load.log")
        races = out / f"races-{name}"
        build([cc, *BASE, *prefix, *TSAN, "races.c", "-o", str(races), "-lpthread"], src)
        for case in TSAN_CASES:
            record([str(races), case], {}, HERE / f"{name}-tsan" / f"{case}.log")
    msan = out / "msan"
    build(["clang-14", *BASE, *prefix, *MSAN, "msan.c", "-o", str(msan)], src)
    for case in MSAN_CASES:
        record([str(msan), case], {}, HERE / "clang-msan" / f"{case}.log")
    cfi = out / "cfi"
    build(["clang++-14", *BASE, *prefix, *CFI, "cfi.cc", "-o", str(cfi)], src)
    for case in CFI_CASES:
        options = {"UBSAN_OPTIONS": "print_stacktrace=1"}
        record([str(cfi), case], options, HERE / "clang-cfi" / f"{case}.log")


def memcheck(src: Path, out: Path) -> None:
    prefix = [f"-fdebug-prefix-map={src}=/src"]
    # -fno-builtin: keep strncpy a call that valgrind can check for overlap.
    plain = out / "memcheck"
    build(["gcc", *BASE, *prefix, "-fno-builtin", "memcheck.c", "-o", str(plain)], src)
    plain_cpp = out / "memcheck_cpp"
    build(["g++", *BASE, *prefix, "memcheck.cc", "-o", str(plain_cpp)], src)
    runs = [([str(plain), case], case) for case in MEMCHECK_CASES]
    runs.append(([str(plain_cpp)], "mismatched_free"))
    for argv, case in runs:
        record([*VALGRIND, *argv], {}, HERE / "memcheck" / f"{case}.log")
        xml = out / f"{case}.xml"
        if wanted(HERE / "memcheck-xml" / f"{case}.log"):
            run([*VALGRIND, "--xml=yes", f"--xml-file={xml}", *argv], {})
            (HERE / "memcheck-xml").mkdir(exist_ok=True)
            shutil.copy(xml, HERE / "memcheck-xml" / f"{case}.log")
    forked = out / "memcheck_fork"
    build(["gcc", *BASE, *prefix, "memcheck_fork.c", "-o", str(forked)], src)
    log = HERE / "memcheck" / "fork_interleaved.log"
    # How the two processes' lines mix depends on timing: run until they do.
    for _ in range(30 if wanted(log) else 0):
        if _pid_runs(record([*VALGRIND, "--trace-children=yes", str(forked)], {}, log)) > 10:
            break
    for name, (cc, _) in COMPILERS.items():
        asan = out / f"memcheck-asan-{name}"
        build([cc, *BASE, *prefix, *ASAN, "memcheck.c", "-o", str(asan)], src)
        log = HERE / "cross" / f"{name}-asan-heap_overflow_write.log"
        record([str(asan), "heap_overflow_write"], {}, log)


def _pid_runs(text: bytes) -> int:
    """How many runs of lines of one process a valgrind log has."""
    pids = [line.split(b"==")[1] for line in text.splitlines() if line.startswith(b"==")]
    return sum(1 for i, pid in enumerate(pids) if i == 0 or pid != pids[i - 1])


def main() -> int:
    WANTED.update(sys.argv[1:])
    # A fixed build folder keeps module paths in the logs the same from one
    # generation to the next.
    tmp = Path(tempfile.gettempdir()) / "harness-tools"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    src = tmp / "src"
    src.mkdir()
    for name in (
        "ub.c",
        "ub.cc",
        "cfi.cc",
        "msan.c",
        "races.c",
        "memcheck.c",
        "memcheck.cc",
        "memcheck_fork.c",
    ):
        shutil.copy(HERE / name, src / name)
    out = tmp / "out"
    out.mkdir()
    sanitizers(src, out)
    memcheck(src, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
