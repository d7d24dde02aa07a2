"""Record what real gcc and clang ASan/LSan runtimes print for known bugs.

Run by hand, not in CI: `python tests/data/logs/generate.py [LOG...]`. It
compiles bugs.c, bugs.cc, initorder_*.cc and odr_*.c with each compiler, runs
every case, and writes the merged stdout+stderr to gcc/NAME.log and
clang/NAME.log. Given LOG names (`gcc/odr_violation`), only those logs are
written, so that the others stay as they are. Then
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
FLAGS = ["-fsanitize=address", "-g", "-O1", "-fno-omit-frame-pointer"]
COMPILERS = {"gcc": ("gcc", "g++"), "clang": ("clang-14", "clang++-14")}
BASE_OPTIONS = "detect_leaks=1:allocator_may_return_null=0"

# case -> (program, extra ASAN_OPTIONS)
C_CASES = {
    "heap_overflow_read": "",
    "heap_overflow_write": "",
    "heap_underflow": "",
    "stack_buffer_overflow": "",
    "stack_buffer_underflow": "",
    "global_buffer_overflow": "",
    "dynamic_stack_buffer_overflow": "",
    "heap_use_after_free": "",
    "double_free": "",
    "bad_free": "",
    "stack_use_after_scope": "",
    "stack_use_after_return": "detect_stack_use_after_return=1",
    "memcpy_param_overlap": "",
    "strcpy_param_overlap": "",
    "calloc_overflow": "",
    "allocation_size_too_big": "",
    "negative_size_param": "",
    "segv_null": "",
    "segv_wild_write": "",
    "fpe": "",
    "stack_overflow": "",
    "leaks": "",
    "use_after_poison": "",
    "invalid_posix_memalign": "",
    "invalid_aligned_alloc": "",
    "thread_use_after_free": "",
    "symbolize_off": "symbolize=0",
    "rss_limit": "hard_rss_limit_mb=64",
    "forked": "",
    "abort": "handle_abort=1",
    "ill": "handle_sigill=1",
}
CXX_CASES = {
    "alloc_dealloc_mismatch": "",
    "malloc_delete": "",
    "new_free": "",
    "new_delete_type_mismatch": "",
    "container_overflow": "",
    "cxx_heap_overflow": "",
}


def compile_all(cc: str, cxx: str, out: Path, src: Path) -> None:
    prefix = [f"-fdebug-prefix-map={src}=/src"]
    run([cc, *FLAGS, *prefix, "bugs.c", "-o", str(out / "bugs"), "-lpthread"], src)
    cxx_flags = [*FLAGS, *prefix, "-D_GLIBCXX_SANITIZE_VECTOR=1", "-fsized-deallocation"]
    run([cxx, *cxx_flags, "bugs.cc", "-o", str(out / "bugs_cpp")], src)
    init = ["initorder_a.cc", "initorder_b.cc"]
    run([cxx, *FLAGS, *prefix, *init, "-o", str(out / "initorder")], src)
    for lib in ("odr_a", "odr_b"):
        run(
            [cc, *FLAGS, *prefix, "-fPIC", "-shared", f"{lib}.c", "-o", str(out / f"lib{lib}.so")],
            src,
        )
    libs = [f"-L{out}", "-lodr_a", "-lodr_b", f"-Wl,-rpath,{out}"]
    run([cc, *FLAGS, *prefix, "odr_main.c", *libs, "-o", str(out / "odr")], src)


def run(argv: list[str], cwd: Path) -> None:
    subprocess.run(argv, cwd=cwd, check=True)


# The logs named on the command line (`gcc/odr_violation`); empty: every log.
WANTED: set[str] = set()


def wanted(log: Path) -> bool:
    return not WANTED or f"{log.parent.name}/{log.stem}" in WANTED


def record(argv: list[str], options: str, log: Path) -> bytes:
    if not wanted(log):
        return b""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(part for part in (BASE_OPTIONS, options) if part)
    result = subprocess.run(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30
    )
    log.write_bytes(result.stdout)
    print(f"{log.relative_to(HERE)}: exit {result.returncode}, {len(result.stdout)} bytes")
    return result.stdout


def _interleaved(output: bytes) -> bool:
    """True when a second process's headline came before the first report's stack."""
    first = output.find(b"ERROR: AddressSanitizer")
    second = output.find(b"ERROR: AddressSanitizer", first + 1)
    return 0 <= first < second and output.find(b"#0 ", first, second) < 0


def main() -> int:
    WANTED.update(sys.argv[1:])
    # A fixed build folder keeps module paths in the logs the same from one
    # generation to the next.
    tmp = Path(tempfile.gettempdir()) / "harness-bugs"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    src = Path(tmp) / "src"
    shutil.copytree(HERE, src, ignore=shutil.ignore_patterns("gcc", "clang", "*.py", "*.json"))
    for name, (cc, cxx) in COMPILERS.items():
        out = Path(tmp) / name
        out.mkdir()
        compile_all(cc, cxx, out, src)
        logs = HERE / name
        logs.mkdir(exist_ok=True)
        for case, options in C_CASES.items():
            record([str(out / "bugs"), case], options, logs / f"{case}.log")
        for case, options in CXX_CASES.items():
            record([str(out / "bugs_cpp"), case], options, logs / f"{case}.log")
        init_options = "check_initialization_order=1:strict_init_order=1"
        record([str(out / "initorder")], init_options, logs / "init_order_fiasco.log")
        record([str(out / "odr")], "", logs / "odr_violation.log")
        # Whether the two reports interleave depends on timing: run until they do.
        together = logs / "forked_together.log"
        for _ in range(20 if wanted(together) else 0):
            if _interleaved(record([str(out / "bugs"), "forked_together"], "", together)):
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
