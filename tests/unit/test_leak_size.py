"""A leak's bytes and objects read back from its stored headline (what the
store's migration fills the reports stored before their columns with)."""

from __future__ import annotations

import pytest

from harness.ledger.model import Group, Ledger
from harness.ledger.store import reports_of
from harness.model import Frame
from harness.store.rows import leak_size


@pytest.mark.parametrize(
    ("headline", "size"),
    [
        ("Direct leak of 37 byte(s) in 3 object(s) allocated from:", (37, 3)),
        ("Indirect leak of 7 byte(s) in 1 object(s) allocated from:", (7, 1)),
        ("10 bytes in 1 blocks are definitely lost in loss record 1 of 3", (10, 1)),
        # memcheck counts what a block points to as well; the parsers keep its own bytes
        ("64 (32 direct, 32 indirect) bytes in 1 blocks are definitely lost in loss", (32, 1)),
        ("1,024 (1,000 direct, 24 indirect) bytes in 2,048 blocks are possibly lost", (1000, 2048)),
        ("4,096 bytes in 1 blocks are indirectly lost in loss record 2 of 3", (4096, 1)),
    ],
)
def test_each_tools_headline_gives_the_size_its_parser_gives(
    headline: str, size: tuple[int, int]
) -> None:
    assert leak_size(headline) == size


@pytest.mark.parametrize("method", ["ltrace", "jemalloc"])
def test_a_ledger_reports_headline_gives_its_own_size(method: str) -> None:
    # GIVEN a ledger group of 3 unfreed blocks, 4,100 bytes in all, made a report
    site = Frame(0, function="make_buffer", file="src/buf.c", line=12)
    group = Group((site,), "malloc", count=3, bytes=4100, own=True, offset=0)
    ledger = Ledger(method, "trace.txt", (), None, None, None, (group,))
    (report,) = reports_of(ledger)
    # THEN its headline says what its details say
    assert report is not None
    assert leak_size(report.headline) == (report.details["bytes"], report.details["objects"])


@pytest.mark.parametrize(
    "headline",
    [
        "ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000011",
        "Syscall param write(buf) points to uninitialised byte(s)",
        "",
    ],
)
def test_a_headline_that_says_no_leak_size_gives_none(headline: str) -> None:
    assert leak_size(headline) is None
