"""One bug, one id: signatures of the same bug in logs that different compilers
and tools wrote (tests/data/logs, recorded by generate.py and generate_tools.py).

The frames that differ between them are the runtimes' own: the kill that
carries an abort, the initializers gcc and clang make for globals, clang's
ThreadSanitizer interceptors in the program's module, the syscall wrapper
memcheck names without its library.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.parse import parse_file
from harness.triage.signature import signature

DATA = Path(__file__).resolve().parents[1] / "data" / "logs"


def _titles(log: str) -> list[str]:
    return [signature(report).title for report in parse_file(DATA / f"{log}.log").reports]


@pytest.mark.parametrize(
    ("logs", "title"),
    [
        (("gcc/abort", "clang/abort"), "abrt in main"),
        (
            ("gcc/init_order_fiasco", "clang/init_order_fiasco"),
            "initialization-order-fiasco READ in read_b",
        ),
        (("gcc/odr_violation", "clang/odr_violation"), "odr-violation in shared_table"),
        (
            ("gcc-tsan/unlock_unlocked", "clang-tsan/unlock_unlocked"),
            "unlock-of-an-unlocked-mutex in unlock_unlocked ‹ main",
        ),
        (
            ("gcc-tsan/lock_order_inversion", "clang-tsan/lock_order_inversion"),
            "lock-order-inversion in lock_in_order ‹ lock_order_inversion ‹ main",
        ),
        (("gcc-tsan/thread_leak", "clang-tsan/thread_leak"), "thread-leak in thread_leak ‹ main"),
        (
            ("gcc-tsan/double_lock", "clang-tsan/double_lock"),
            "double-lock-of-a-mutex in acquire ‹ acquirer",
        ),
        (
            ("memcheck/syscall_uninit", "memcheck-xml/syscall_uninit"),
            "use-of-uninitialized-value in syscall_uninit ‹ main",
        ),
    ],
)
def test_one_bug_has_one_title_in_every_log(logs: tuple[str, ...], title: str) -> None:
    assert {log: _titles(log) for log in logs} == {log: [title] for log in logs}


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_a_signal_unsafe_call_is_keyed_by_the_handler(compiler: str) -> None:
    # malloc and then free in one handler: the handler is the bug, twice.
    titles = _titles(f"{compiler}-tsan/signal_unsafe")
    assert (
        titles
        == ["signal-unsafe-call-inside-of-a-signal in unsafe_handler ‹ signal_unsafe ‹ main"] * 2
    )


@pytest.mark.parametrize(
    ("log", "title"),
    [
        # gcc printed the read in main first, clang the write, also in main
        ("data_race", "data-race in bump ‹ data_race ‹ main vs bump ‹ racer"),
        # gcc printed the read in main first, clang the write in the thread
        ("locked_race", "data-race in bump ‹ locked_bumper vs bump ‹ locked_race ‹ main"),
        ("heap_race", "data-race in heap_race ‹ main vs heap_writer"),
    ],
)
def test_a_race_is_one_finding_whichever_access_the_runtime_printed_first(
    log: str, title: str
) -> None:
    gcc, clang = (parse_file(DATA / f"{cc}-tsan/{log}.log").reports for cc in ("gcc", "clang"))
    assert [signature(r).title for r in gcc + clang] == [title, title]
    one, other = signature(gcc[0]), signature(clang[0])
    assert one.id == other.id and one.bug_key == other.bug_key
    # the finding's frames are those of the first side in sorted order, in both
    assert [(f.key, f.line) for f in one.frames] == [(f.key, f.line) for f in other.frames]


def test_races_of_different_callers_stay_different_findings() -> None:
    logs = [f"{cc}-tsan/{log}" for cc in ("gcc", "clang") for log in ("data_race", "locked_race")]
    ids = {log: signature(parse_file(DATA / f"{log}.log").reports[0]).id for log in logs}
    assert len(set(ids.values())) == 2
