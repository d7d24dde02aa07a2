"""`harness show`'s text for one finding."""

from __future__ import annotations

from harness.model import Frame, Report, Source, Stack
from harness.render.detail import show_lines
from harness.store import FindingDetail
from tests.unit.test_ledger_rows import finding

LEAK_HEADLINE = "Direct leak of 160 byte(s) in 5 object(s) allocated from:"


def test_a_leaks_headline_is_shown_once_with_its_stack():
    stack = Stack(
        "alloc",
        (Frame(0, None, "malloc", None, None), Frame(1, None, "parse_contact", "main.c", 29)),
        header=LEAK_HEADLINE,
    )
    leak = Report(
        "lsan", "leak", Source("lsan.1", 0, 100, 1), headline=LEAK_HEADLINE, stacks=(stack,)
    )
    detail = FindingDetail(
        finding("dddd", "leak (direct) in parse_contact ‹ main", "leak", 29), leak, (), (), ()
    )

    lines = show_lines(detail)

    assert [line.strip() for line in lines].count(LEAK_HEADLINE) == 1
    assert "    #1 parse_contact main.c:29" in lines
