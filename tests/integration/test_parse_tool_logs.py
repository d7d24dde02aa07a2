"""UBSan, CFI, MSan, TSan and Valgrind memcheck logs that the real runtimes wrote.

The logs are under tests/data/logs/<cc>-<profile>/, memcheck/ (text),
memcheck-xml/ (--xml=yes) and cross/, recorded by generate_tools.py; each is
also compared with its golden JSON by test_parse_real_logs.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.model import Report
from harness.parse import parse_file, parse_text
from harness.parse.ubsan import check_of

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"
# The cases recorded in both forms (a log of several processes is text only).
MEMCHECK_CASES = sorted(
    path.stem
    for path in (DATA / "memcheck").glob("*.log")
    if (DATA / "memcheck-xml" / path.name).exists()
)


def _reports(name: str) -> tuple[Report, ...]:
    result = parse_file(DATA / f"{name}.log")
    assert result.unparsed == ()
    return result.reports


def _kinds(name: str) -> list[tuple[str, str, str | None]]:
    return [(r.tool, r.kind, r.access) for r in _reports(name)]


RECOVERED = [
    ("ubsan", "signed-integer-overflow", None),
    ("ubsan", "invalid-shift-exponent", None),
    ("ubsan", "invalid-shift-base", None),
    ("ubsan", "misaligned-pointer-use", "READ"),
    ("ubsan", "null-dereference", None),
    ("ubsan", "out-of-bounds-index", None),
]


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
@pytest.mark.parametrize("log", ["several", "several_stack"])
def test_recoverable_ubsan_reports_every_error(compiler: str, log: str) -> None:
    kinds = _kinds(f"{compiler}-ubsan/{log}")
    assert kinds[:6] == RECOVERED
    assert ("ubsan", "non-positive-vla-index", None) in kinds
    assert ("ubsan", "invalid-bool-load", "READ") in kinds
    assert not any(r.truncated for r in _reports(f"{compiler}-ubsan/{log}"))


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_ubsan_without_stack_keeps_the_location_as_frame_zero(compiler: str) -> None:
    first = _reports(f"{compiler}-ubsan/several")[0]
    (frame,) = first.stack("crash").frames
    assert frame.function is None
    assert (frame.file, frame.line, frame.column) == ("ub.c", 21, 66)


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_ubsan_with_stack_names_the_functions(compiler: str) -> None:
    first = _reports(f"{compiler}-ubsan/several_stack")[0]
    names = [frame.function for frame in first.stack("crash").frames[:3]]
    assert names == ["signed_overflow", "run", "main"]


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("halt_on_error", [("ubsan", "signed-integer-overflow", None)]),
        ("divide_by_zero", [("ubsan", "integer-divide-by-zero", None)]),
        ("float_cast_overflow", [("ubsan", "float-cast-overflow", None)]),
        ("nonnull_argument", [("ubsan", "invalid-null-argument", None)]),
        ("unreachable", [("ubsan", "unreachable-call", None)]),
        ("missing_return", [("ubsan", "missing-return", None)]),
    ],
)
def test_ubsan_kinds(compiler: str, name: str, kinds: list) -> None:
    # clang's runtime then reports the SIGFPE of the division itself.
    assert _kinds(f"{compiler}-ubsan/{name}")[: len(kinds)] == kinds


def test_implicit_conversions_are_named_like_the_runtime_names_them() -> None:
    # report_error_type=1: each SUMMARY names the check; the message alone must agree.
    reports = _reports("clang-ubsan/implicit_conversion")
    named = [report.summary.split()[2] for report in reports]
    assert named == [
        "implicit-signed-integer-truncation",
        "implicit-signed-integer-truncation-or-sign-change",
        "implicit-integer-sign-change",
        "implicit-unsigned-integer-truncation",
    ]
    assert [check_of(report.details["message"])[0] for report in reports] == named
    assert [report.kind for report in reports] == named


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_ubsan_dynamic_type_reports_survive_output_between_their_lines(compiler: str) -> None:
    # Another process writing to the terminal puts its lines inside the report.
    text = (DATA / f"{compiler}-ubsan" / "vptr.log").read_text()
    mixed = "".join(
        f"{line}worker 1: step {n}\nworker 2: step {n}\nworker 3: step {n}\n"
        for n, line in enumerate(text.splitlines(keepends=True))
    )

    def shape(log: str) -> list[tuple]:
        return [(r.kind, r.stacks, r.truncated) for r in parse_text(log, "log").reports]

    kinds = [kind for kind, _stacks, _truncated in shape(text)]
    assert kinds == ["dynamic-type-mismatch"] * 3
    assert shape(mixed) == shape(text)


def test_report_error_type_tells_a_float_division_apart() -> None:
    assert _kinds("clang-ubsan/float_divide_by_zero") == [("ubsan", "float-divide-by-zero", None)]


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_asan_and_ubsan_in_one_log_gives_both(compiler: str) -> None:
    kinds = _kinds(f"{compiler}-asan+ubsan/null_load")
    assert kinds == [("ubsan", "null-dereference", "READ"), ("asan", "null-dereference", "READ")]


@pytest.mark.parametrize(
    ("case", "kind"),
    [
        ("vcall", "cfi-vcall"),
        ("icall", "cfi-icall"),
        ("unrelated_cast", "cfi-unrelated-cast"),
        ("derived_cast", "cfi-derived-cast"),
    ],
)
def test_cfi_kinds(case: str, kind: str) -> None:
    (report,) = _reports(f"clang-cfi/{case}")
    assert (report.tool, report.kind, report.details["cfi"]) == ("ubsan", kind, True)
    assert report.stack("crash").frames[0].function.startswith("bad_")


def test_msan_heap_origin_chain() -> None:
    (report,) = _reports("clang-msan/heap_origin")
    assert (report.tool, report.kind) == ("msan", "use-of-uninitialized-value")
    assert [s.role for s in report.stacks] == ["crash", "origin", "origin"]
    assert report.stack("crash").frames[0].function == "check"
    stored, created = report.stacks[1:]
    assert stored.header.startswith("Uninitialized value was stored to memory at")
    assert created.frames[1].function == "heap_origin"
    assert report.details["origin"] == "heap" and not report.truncated


def test_msan_stack_origin_names_the_variable() -> None:
    (report,) = _reports("clang-msan/stack_origin")
    assert report.details["variable"] == "local"
    assert report.details["function"] == "stack_origin"


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_tsan_data_race_under_a_lock(compiler: str) -> None:
    (report,) = _reports(f"{compiler}-tsan/locked_race")
    assert (report.tool, report.kind, report.access_size) == ("tsan", "data-race", 4)
    assert [s.role for s in report.stacks] == ["crash", "previous", "mutex", "thread"]
    locked = report.details.get("mutexes") or report.details.get("previous_mutexes")
    assert locked == "write M0"
    assert report.stack("thread").thread == "T1"
    assert report.summary.startswith("SUMMARY: ThreadSanitizer: data race")
    assert not report.truncated


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
@pytest.mark.parametrize(
    ("case", "kind", "roles"),
    [
        ("heap_race", "data-race", ["crash", "previous", "alloc", "thread"]),
        ("lock_order_inversion", "lock-order-inversion", ["crash", "previous"]),
        ("thread_leak", "thread-leak", ["crash"]),
        ("use_after_free", "heap-use-after-free", ["crash", "free"]),
    ],
)
def test_tsan_kinds_and_sections(compiler: str, case: str, kind: str, roles: list) -> None:
    (report,) = _reports(f"{compiler}-tsan/{case}")
    assert report.kind == kind
    assert [s.role for s in report.stacks] == roles


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("heap_overflow_write", [("heap-buffer-overflow", "WRITE", 1)]),
        ("heap_overflow_read", [("heap-buffer-overflow", "READ", 4)]),
        ("use_after_free", [("heap-use-after-free", "READ", 1)]),
        ("double_free", [("double-free", None, None)]),
        ("mismatched_free", [("alloc-dealloc-mismatch", None, None)]),
        ("overlap", [("strncpy-param-overlap", None, None)]),
        ("uninit_condition", [("use-of-uninitialized-value", None, None)]),
        ("null_write", [("null-dereference", "WRITE", 4)]),
        ("fishy_size", [("allocation-size-too-big", None, None)]),
        ("leaks", [("leak", None, None)] * 3),
        ("output_glued", [("heap-buffer-overflow", "READ", 1)]),
        ("syscall_uninit", [("use-of-uninitialized-value", None, None)]),
        ("realloc_use", [("heap-use-after-free", "READ", 1)]),
    ],
)
@pytest.mark.parametrize("form", ["memcheck", "memcheck-xml"])
def test_memcheck_kinds(form: str, case: str, expected: list) -> None:
    reports = _reports(f"{form}/{case}")
    assert [(r.kind, r.access, r.access_size) for r in reports] == expected
    assert all(r.tool == "memcheck" and not r.truncated for r in reports)


@pytest.mark.parametrize("form", ["memcheck", "memcheck-xml"])
def test_memcheck_leaks_are_direct_and_indirect(form: str) -> None:
    leaks = sorted((r.details["leak"], r.details["bytes"]) for r in _reports(f"{form}/leaks"))
    assert leaks == [("direct", 10), ("direct", 32), ("indirect", 32)]


@pytest.mark.parametrize("form", ["memcheck", "memcheck-xml"])
def test_memcheck_use_after_free_keeps_free_and_alloc(form: str) -> None:
    (report,) = _reports(f"{form}/use_after_free")
    assert [s.role for s in report.stacks] == ["crash", "free", "alloc"]
    assert report.stack("free").frames[1].function == "use_after_free"


def test_memcheck_of_processes_sharing_a_terminal_keeps_each_error_whole() -> None:
    # valgrind --trace-children=yes: a parent's and its child's lines interleave.
    reports = _reports("memcheck/fork_interleaved")
    parent, child = sorted({r.source.pid for r in reports})
    for pid, kind, access, role in (
        (parent, "heap-buffer-overflow", "READ", "parent"),
        (child, "heap-use-after-free", "READ", "child"),
    ):
        own = [r for r in reports if r.source.pid == pid]
        assert [(r.kind, r.access, r.truncated) for r in own] == [(kind, access, False)] * 12
        tops = [[f.function for f in r.stack("crash").frames] for r in own]
        assert tops == [[f"{role}_{n}", "main"] for n in range(12)]
        allocs = [r.stack("alloc").frames[1].function for r in own]
        assert allocs == [f"{role}_{n}" for n in range(12)]


def test_memcheck_of_processes_sharing_a_terminal_with_program_output() -> None:
    text = (DATA / "memcheck" / "fork_interleaved.log").read_text()
    mixed = "".join(f"{line}\nstep {n}\n" for n, line in enumerate(text.splitlines(keepends=True)))

    def shape(log: str) -> list[tuple]:
        reports = parse_text(log, "log").reports
        return [(r.source.pid, r.kind, r.stacks, r.truncated) for r in reports]

    assert len(shape(text)) == 24
    assert shape(mixed) == shape(text)


def test_memcheck_headline_glued_to_program_output() -> None:
    # `progress: 50% ==12== Invalid read of size 1`: the report starts at `==12==`.
    (report,) = _reports("memcheck/output_glued")
    text = (DATA / "memcheck" / "output_glued.log").read_bytes()
    assert report.source.offset == text.index(b"==", text.index(b"progress: 50% "))
    assert [f.function for f in report.stack("crash").frames] == ["output_glued", "main"]


@pytest.mark.parametrize("case", MEMCHECK_CASES)
def test_memcheck_text_and_xml_agree(case: str) -> None:
    def shape(report: Report) -> tuple:
        stacks = [(s.role, [(f.function, f.line) for f in s.frames]) for s in report.stacks]
        return report.kind, report.access, report.access_size, report.address, stacks

    text = [shape(r) for r in _reports(f"memcheck/{case}")]
    xml = [shape(r) for r in _reports(f"memcheck-xml/{case}")]
    assert text == xml


# --- one bug, two tools ------------------------------------------------------

# Runtime, allocator and libc frames, dropped before comparing top frames.
# Triage's signature module owns the real rules; this is a local stand-in.
_NOT_THE_BUG = re.compile(
    r"^(?:__asan|__interceptor_|___interceptor_|__sanitizer|malloc$|free$|memset$|"
    r"__libc_|\(below main\)$|_start$)"
)


def _top(report: Report, role: str, count: int = 3) -> list[str]:
    stack = report.stack(role)
    names = [f.function for f in stack.frames if f.function and not _NOT_THE_BUG.match(f.function)]
    return names[:count]


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
@pytest.mark.parametrize("form", ["memcheck", "memcheck-xml"])
def test_one_heap_overflow_seen_by_asan_and_memcheck_is_one_bug(compiler: str, form: str) -> None:
    (asan,) = _reports(f"cross/{compiler}-asan-heap_overflow_write")
    (memcheck,) = _reports(f"{form}/heap_overflow_write")
    assert (asan.tool, memcheck.tool) == ("asan", "memcheck")
    assert (asan.kind, asan.access) == (memcheck.kind, memcheck.access)
    assert _top(asan, "crash") == _top(memcheck, "crash") == ["fill", "heap_overflow_write", "main"]
    assert _top(asan, "alloc") == _top(memcheck, "alloc") == ["heap_overflow_write", "main"]
