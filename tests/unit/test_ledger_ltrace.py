"""The ltrace ledger's grammar and accounting, on real traces (tests/data/ledger/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.ledger import ltrace
from harness.ledger.ltrace import Call, account, read_load_map, read_trace
from harness.ledger.trace_grammar import EXITED, RESUMED, SIGNAL, START, parse_line

DATA = Path(__file__).resolve().parents[1] / "data" / "ledger"


def test_a_real_c_trace_pairs_strdup_with_its_free_and_keeps_the_leaked_copy():
    trace = read_trace((DATA / "leak_direct-ltrace.txt").read_bytes())

    books = account(trace.calls)

    assert trace.unparsed == 0 and trace.exit_status == 0
    assert trace.main_address == 0x562F50EBF1F9
    # strdup's own malloc is inside it: counted as the strdup, not twice.
    assert dict(books.calls) == {"malloc": 3, "strdup": 3, "free": 4}
    assert trace.nested == 3
    leaked = sorted((block.function, block.size) for block in books.live)
    assert leaked == [("malloc", 4096), ("strdup", 15)]
    assert books.allocated == 472 + 4096 + 9 + 4096 + 15 + 5
    assert books.freed == 9 + 5 + 4096 + 472
    assert books.peak == 472 + 4096 + 4096 + 15 + 5


def test_a_real_cxx_trace_follows_realloc_chains_and_operator_new():
    trace = read_trace((DATA / "cxx-ltrace.txt").read_bytes())

    books = account(trace.calls)

    calls = dict(books.calls)
    assert calls["realloc"] == 2 and calls["_Znwm"] == 1 and calls["_ZdlPvm"] == 1
    # realloc moved the malloc'd block twice and free released the last one;
    # posix_memalign's block (printed through its out-parameter) stays.
    assert [(b.function, b.size, b.address) for b in books.live] == [
        ("posix_memalign", 100, 0x564EAE51AF00)
    ]
    assert books.peak == 100 + 10000 + 40


def test_unfinished_and_resumed_lines_join_into_one_call():
    text = (
        b"7 [0x1000] strdup@libc.so.6(0x7ffe0 <unfinished ...>\n"
        b"7 [0x7f00] malloc@libc.so.6(12) = 0x5000\n"
        b"8 [0x2000] malloc@libc.so.6(3) = 0x6000\n"
        b"7 [0x1000] <... strdup resumed> ) = 0x5000\n"
    )

    trace = read_trace(text)

    assert [(c.function, c.pid, c.result, c.inner) for c in trace.calls] == [
        ("malloc", 8, 0x6000, None),
        ("strdup", 7, 0x5000, 12),
    ]
    assert trace.calls[1].offset == 0  # where the call began


@pytest.mark.parametrize(
    "line, kind",
    [
        ("[pid 12] [0x10] malloc(24) = 0x20", START),
        ("123 [0x1] <... malloc resumed> ) = 0x20", RESUMED),
        ("5 [0x1] --- SIGSEGV (Segmentation fault) ---", SIGNAL),
        ("5 [0xffffffffffffffff] +++ killed by SIGSEGV +++", EXITED),
        ("[0x55] free@libc.so.6(0x20) = <void>", START),
    ],
)
def test_line_kinds(line: str, kind: str):
    event = parse_line(line)

    assert event is not None and event.kind == kind


def test_garbage_never_raises_and_is_counted():
    text = b"\xff\xfe not ltrace\n7 [0x1] mall\n\n(((\n7 [0x1] malloc@libc.so.6(4) = 0x10\n"

    trace = read_trace(text)

    assert trace.unparsed == 3
    assert [c.function for c in trace.calls] == ["malloc"]


def test_a_resumed_line_without_its_start_and_frees_of_unknown_blocks_are_tolerated():
    calls = [
        Call(1, 0x10, "free", (0x999,), None, 0),
        Call(1, 0x10, "malloc", (8,), 0, 10),  # failed: NULL
        Call(1, 0x10, "realloc", (0, 16), 0x40, 20),  # realloc(NULL, n) allocates
        Call(1, 0x10, "realloc", (0x40, 0), 0, 30),  # realloc(p, 0) frees
    ]
    trace = read_trace(b"1 [0x1] <... free resumed> ) = <void>\n")

    books = account(calls)

    assert trace.calls == ()
    assert books.unknown_frees == 1 and books.live == () and books.allocated == 16
    assert books.freed == 16


def test_the_dynamic_linkers_report_gives_library_bases():
    modules = read_load_map((DATA / "leak_direct-ld.txt").read_text())

    libc = next(module for module in modules if module.path.endswith("libc.so.6"))
    assert libc.path.startswith("/") and libc.end > libc.start > 0


def test_the_binarys_base_comes_from_mains_address(tmp_path: Path):
    # A binary whose symbol table nm cannot read: its base stays unknown.
    fake = tmp_path / "prog"
    fake.write_bytes(b"not an elf")

    modules = ltrace.module_map(fake, 0x5555, ())

    assert modules.modules == ()


def test_the_ledger_names_cxx_operators_as_lsan_does_not_by_their_symbols(tmp_path: Path):
    trace = DATA / "cxx-ltrace.txt"

    ledger = ltrace.ledger(trace, [], tmp_path / "no-binary", "cxx-ltrace.txt")

    calls = dict(ledger.calls)
    assert calls["operator new"] == 1 and calls["operator delete (sized)"] == 1
    assert not [name for name in calls if name.startswith("_Z")]
    assert ltrace.shown_name("_Znam") == "operator new[]"
    assert ltrace.shown_name("memalign") == "memalign/aligned_alloc"
    assert ltrace.shown_name("strdup") == "strdup"


def test_the_programs_own_exit_is_read_from_the_end_of_the_trace(tmp_path: Path):
    killed = tmp_path / "killed.txt"
    killed.write_text(
        "70 [0x1000] malloc@libc.so.6(16) = 0x2000\n"
        "71 [0x1000] malloc@libc.so.6(8) = 0x3000\n"
        + "70 [0x1000] free@libc.so.6(0x2000) = <void>\n"
        * 1000
        + "70 [0x1004] --- SIGSEGV (Segmentation fault) ---\n"
        "70 [0xffffffffffffffff] +++ killed by SIGSEGV +++\n"
        "71 [0xffffffffffffffff] +++ exited (status 3) +++\n"
    )

    assert ltrace.program_exit(DATA / "leak_direct-ltrace.txt") == (0, None)
    assert ltrace.program_exit(killed) == (None, "SIGSEGV")
    assert ltrace.program_exit(tmp_path / "missing.txt") is None
