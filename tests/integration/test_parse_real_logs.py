"""The parser on logs that real sanitizer runtimes wrote.

- tests/data/logs/{gcc,clang}/*.log: written by gcc 12's and clang 14's ASan
  runtimes (tests/data/logs/generate.py); each has a golden NAME.expected.json.
- tests/data/logs/<cc>-<profile>/, memcheck/, memcheck-xml/, cross/: UBSan,
  CFI, MSan, TSan and Valgrind memcheck output (generate_tools.py), also golden.
- ../shared/corpus/clusterfuzz-dev: Chromium-era logs with ClusterFuzz's own
  answers, compared under one mapping of its names onto ours.
- ../shared/corpus/afltriage: GCC libasan output, several reports per log, cut logs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.model import Report
from harness.parse import parse_file
from harness.triage.signature import signature
from tests.golden import check_golden

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"
CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus").resolve()
LOGS = sorted(DATA.glob("*/*.log"))


@pytest.mark.parametrize("log", LOGS, ids=[f"{p.parent.name}/{p.stem}" for p in LOGS])
def test_real_log_matches_golden(log: Path, regen_golden: bool) -> None:
    result = parse_file(log, log=f"{log.parent.name}/{log.name}")
    check_golden(result, log.with_suffix(".expected.json"), regen_golden)


def _kinds(compiler: str, name: str) -> list[str]:
    return [report.kind for report in parse_file(DATA / compiler / f"{name}.log").reports]


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("heap_overflow_read", ["heap-buffer-overflow"]),
        ("heap_underflow", ["heap-buffer-overflow"]),
        ("stack_buffer_underflow", ["stack-buffer-underflow"]),
        ("double_free", ["double-free"]),
        ("bad_free", ["bad-free"]),
        ("stack_use_after_return", ["stack-use-after-return"]),
        ("memcpy_param_overlap", ["memcpy-param-overlap"]),
        ("calloc_overflow", ["calloc-overflow"]),
        ("allocation_size_too_big", ["allocation-size-too-big"]),
        ("segv_null", ["null-dereference"]),
        ("segv_wild_write", ["segv"]),
        ("fpe", ["fpe"]),
        ("stack_overflow", ["stack-overflow"]),
        ("leaks", ["leak", "leak", "leak"]),
        ("forked", ["heap-buffer-overflow", "heap-use-after-free"]),
        ("rss_limit", ["out-of-memory"]),
        ("init_order_fiasco", ["initialization-order-fiasco"]),
        ("odr_violation", ["odr-violation"]),
        ("new_delete_type_mismatch", ["new-delete-type-mismatch"]),
    ],
)
def test_real_log_kinds(compiler: str, name: str, kinds: list[str]) -> None:
    assert _kinds(compiler, name) == kinds


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_use_after_free_keeps_every_section(compiler: str) -> None:
    (report,) = parse_file(DATA / compiler / "thread_use_after_free.log").reports
    assert [stack.role for stack in report.stacks] == ["crash", "free", "alloc", "thread"]
    assert report.stack("free").thread == "T1"
    assert report.stack("thread").thread == "T1"
    assert (report.access, report.access_size, report.thread) == ("READ", 1, "T0")


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_leak_blocks_are_separate_reports(compiler: str) -> None:
    reports = parse_file(DATA / compiler / "leaks.log").reports
    details = sorted((r.details["leak"], r.details["bytes"], r.details["objects"]) for r in reports)
    assert details == [("direct", 10, 1), ("direct", 32, 1), ("indirect", 32, 1)]
    assert all(r.tool == "lsan" and r.stacks[0].role == "alloc" for r in reports)
    assert all(r.stacks[0].frames[1].function == "make_leaks" for r in reports)


def test_odr_violation_is_keyed_by_the_global() -> None:
    # Its only stacks are the runtime's and the loader's registration frames.
    reports = {cc: parse_file(DATA / cc / "odr_violation.log").reports for cc in ("gcc", "clang")}
    for (report,) in reports.values():
        assert report.kind == "odr-violation"
        assert [stack.role for stack in report.stacks] == ["crash", "alloc", "previous"]
        (frame,) = report.stack("crash").frames
        assert (frame.function, frame.file, frame.line, frame.column) == (
            "shared_table",
            "odr_a.c",
            3,
            5,
        )
        assert report.details["global"] == "shared_table"
    titles = {signature(report).title for (report,) in reports.values()}
    assert titles == {"odr-violation in shared_table"}


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_reports_of_two_processes_printed_at_once_keep_their_own_stacks(compiler: str) -> None:
    # A parent and its child fail together; their reports' pieces alternate.
    reports = parse_file(DATA / compiler / "forked_together.log").reports
    assert len({report.source.pid for report in reports}) == 2
    seen = {
        (r.kind, r.access, r.access_size, tuple(f.function for f in r.stack("crash").frames[:2]))
        for r in reports
    }
    assert seen == {
        ("heap-buffer-overflow", "READ", 4, ("heap_overflow_read", "forked_together")),
        ("heap-use-after-free", "READ", 1, ("use_after_free", "forked_together")),
    }
    # The other stacks cannot be told apart by process: left out, and said so.
    assert all(r.truncated and [s.role for s in r.stacks] == ["crash"] for r in reports)
    addresses = {r.kind: (r.address, r.details["located"]) for r in reports}
    assert addresses["heap-use-after-free"][1].startswith("5 bytes inside of 32-byte region")
    assert addresses["heap-buffer-overflow"][1].startswith("0 bytes to the right of 40-byte")


def test_forked_log_keeps_each_process() -> None:
    reports = parse_file(DATA / "gcc" / "forked.log").reports
    assert len({report.source.pid for report in reports}) == 2


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_symbolize_off_frames_are_module_offsets(compiler: str) -> None:
    (report,) = parse_file(DATA / compiler / "symbolize_off.log").reports
    frame = report.stacks[0].frames[0]
    assert frame.function is None and frame.file is None
    assert frame.module.endswith("/bugs") and frame.module_offset > 0


# --- ClusterFuzz's answers ----------------------------------------------------

# ClusterFuzz's name of an error → ours. Its names are the sanitizer's own,
# capitalized (`Heap-buffer-overflow`), except for signals: it says UNKNOWN for
# a SEGV far from 0 and spells the other signals like `Abrt`, `Ill`.
CLUSTERFUZZ_KINDS = {
    "Heap-buffer-overflow": "heap-buffer-overflow",
    "Heap-use-after-free": "heap-use-after-free",
    "Heap-double-free": "double-free",
    "Bad-free": "bad-free",
    "Stack-overflow": "stack-overflow",
    "Null-dereference": "null-dereference",
    "UNKNOWN": "segv",
    "Abrt": "abrt",
    "Ill": "ill",
    "Direct-leak": "leak",
    "Indirect-leak": "leak",
}
# Its names for the other tools' errors → the kinds we accept. UBSan's names
# are the runtime's check names (ubsan.py); ClusterFuzz groups several checks
# under one of its own (all CFI failures are its `Bad-cast`).
CLUSTERFUZZ_OTHER_KINDS = {
    "Assumption-violation": ("invalid-builtin-use",),
    "Divide-by-zero": ("integer-divide-by-zero", "float-divide-by-zero"),
    "Index-out-of-bounds": ("out-of-bounds-index",),
    "Integer-overflow": ("signed-integer-overflow", "unsigned-integer-overflow"),
    "Non-positive-vla-bound-value": ("non-positive-vla-index",),
    "Null-dereference": ("null-dereference",),
    "Object-size": ("insufficient-object-size",),
    "Pointer-overflow": ("pointer-overflow", "nullptr-with-nonzero-offset"),
    "Upcast-of-null-pointer": ("null-dereference",),
    "Bad-cast": ("cfi-icall", "cfi-vcall", "cfi-unrelated-cast", "cfi-derived-cast"),
    "Data race": ("data-race",),
}
# Where we differ on purpose, and why.
# Kind and access still have to agree there; only the frames are not compared.
DIFFER = {
    "asan_stack_overflow.txt": "a stack overflow is keyed by its recursion cycle, from"
    " the frame the cycle starts at, since the frame that runs out of stack varies;"
    " ClusterFuzz takes the top frames as printed",
    "asan_stack_overflow2.txt": "as asan_stack_overflow.txt",
    "gsignal_at_first_stack_frame.txt": "ClusterFuzz merges inlined frames and reads a"
    " Chromium stack dump printed before the ASan report",
    "sanitizer_signal_abrt.txt": "a frame with no symbol is keyed by module+offset, so"
    " that two crash sites in one binary stay apart; ClusterFuzz keeps the module's path",
    "sanitizer_signal_abrt_unknown.txt": "ClusterFuzz drops `main` and libFuzzer's entry"
    " point and is left with no frame (NULL); we keep the fuzz target's entry point",
    "libfuzzer_llvm_fuzzer_test_one_input_crash.txt": "ClusterFuzz names the fuzz target"
    " by its file where the frame is LLVMFuzzerTestOneInput; we keep the function",
    "libgcc_s.txt": "the only frame is a bare library name, which ClusterFuzz drops (NULL)",
    "miracle_ptr_not_protected.txt": "ClusterFuzz fills a short crash stack with frames"
    " of the next stack (freed by); we keep stacks apart",
    "miracle_ptr_manual_analysis_required.txt": "as miracle_ptr_not_protected.txt",
    "ubsan_null_pointer_reference_binding.txt": "ClusterFuzz names the fuzz target by"
    " its file where the frame is LLVMFuzzerTestOneInput; we keep the function",
    "cfi_invalid_vtable.txt": "no stack was printed: ClusterFuzz's state is the message"
    " (`Bad-cast to B from invalid vptr`); ours is the location frame, with no function",
    "cfi_unrelated_vtable.txt": "as cfi_invalid_vtable.txt",
}
# Logs where we find no report at all, and why.
NOT_REPORTS = {
    "cfi_nodebug.txt": "a Chromium crash handler's `Received signal 4` dump of a CFI trap"
    " built without diagnostics: no sanitizer report is in the log",
}
# What a Chromium, V8 or WebKit checkout would put in harness.toml's
# `[triage] ignore_frames`: its logging, CHECK and crash machinery (ClusterFuzz
# has them in its own ignore list). The rest of the comparison uses harness's
# built-in rules as they are.
CHROMIUM_IGNORE = (
    "logging::*",
    "base::debug::*",
    "WTFCrash",
    "V8_Fatal",
    "v8::base::OS::Abort",
    "v8::internal::Isolate::PushStackTraceAndDie",
    "fuzztest::internal::*",
    "testing::*",
)


def _as_clusterfuzz_names(name: str) -> str:
    """A function name as both sides are compared: ClusterFuzz cuts a name at
    its first `(` and keeps template arguments and a template's return type;
    our keys drop templates and anonymous namespaces."""
    name = name.split("(")[0].replace("(anonymous namespace)::", "")
    while (plain := re.sub(r"<[^<>]*>", "", name)) != name:
        name = plain
    return name.split(" ")[-1]


def _top_functions(report: Report, count: int) -> list[str]:
    """The signature's top frames, as harness keys them (with CHROMIUM_IGNORE)."""
    frames = signature(report, CHROMIUM_IGNORE).frames
    return [_as_clusterfuzz_names(frame.key or "") for frame in frames][:count]


def _state(entry: dict) -> list[str]:
    """ClusterFuzz's crash state: its frames (a CFI failure's state leads with
    the message's type, which is no frame)."""
    lines = [line for line in entry["crash_state"].splitlines() if line]
    if lines and lines[0].startswith("Bad-cast to "):
        lines = lines[1:]
    return [_as_clusterfuzz_names(line) for line in lines]


def _clusterfuzz_entries() -> list[dict]:
    expected = CORPUS / "clusterfuzz-dev" / "expected.json"
    if not expected.exists():
        return []
    entries = json.loads(expected.read_text())
    return [
        e
        for e in entries
        if e["type_from_sanitizer"] and e["tools"] == ["asan"] and not e["env"] and e["crash_type"]
    ]


CLUSTERFUZZ = _clusterfuzz_entries()


@pytest.mark.skipif(not CLUSTERFUZZ, reason=f"shared corpus not found at {CORPUS}")
@pytest.mark.parametrize("entry", CLUSTERFUZZ, ids=[e["log"] for e in CLUSTERFUZZ])
def test_agrees_with_clusterfuzz(entry: dict) -> None:
    reports = parse_file(CORPUS / "clusterfuzz-dev" / "logs" / entry["log"]).reports
    assert reports, "no report found"
    report = reports[0]
    words = entry["crash_type"].split()
    assert report.kind == CLUSTERFUZZ_KINDS[words[0]]
    access = next((w for w in words[1:] if w in ("READ", "WRITE")), None)
    assert report.access == access
    if entry["log"] in DIFFER:
        return
    state = _state(entry)
    assert _top_functions(report, len(state)) == state


def _other_entries() -> list[dict]:
    expected = CORPUS / "clusterfuzz-dev" / "expected.json"
    if not expected.exists():
        return []
    entries = json.loads(expected.read_text())
    return [
        e
        for e in entries
        if e["type_from_sanitizer"] and e["tools"] != ["asan"] and e["crash_type"] and not e["env"]
    ]


CLUSTERFUZZ_OTHER = _other_entries()


@pytest.mark.skipif(not CLUSTERFUZZ_OTHER, reason=f"shared corpus not found at {CORPUS}")
@pytest.mark.parametrize("entry", CLUSTERFUZZ_OTHER, ids=[e["log"] for e in CLUSTERFUZZ_OTHER])
def test_other_tools_agree_with_clusterfuzz(entry: dict) -> None:
    reports = parse_file(CORPUS / "clusterfuzz-dev" / "logs" / entry["log"]).reports
    if entry["log"] in NOT_REPORTS:
        assert reports == ()
        return
    assert reports, "no report found"
    report = reports[0]
    crash_type = entry["crash_type"].splitlines()
    assert report.kind in CLUSTERFUZZ_OTHER_KINDS[crash_type[0]]
    access = crash_type[1].split()[0] if len(crash_type) > 1 else None
    if access is not None:
        assert report.access == access
    if entry["log"] in DIFFER:
        return
    state = _state(entry)
    assert _top_functions(report, len(state)) == state
