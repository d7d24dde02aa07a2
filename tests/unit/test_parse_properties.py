"""Properties of the parser over random and mangled input.

Real logs come from tests/data/logs (recorded gcc and clang runtime output).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from harness.model import Report
from harness.parse import parse_bytes, parse_text

LOGS = sorted((Path(__file__).resolve().parents[1] / "data" / "logs").glob("*/*.log"))
TEXTS = [path.read_text(errors="replace") for path in LOGS]
# Lines put into valgrind's XML land inside its elements' text: that changes
# what the log says rather than interleaving with it.
LINE_TEXTS = [text for text in TEXTS if not text.startswith("<?xml")]
# Valgrind's text logs of one process each: every line carries its pid.
MEMCHECK_TEXTS = [
    path.read_text() for path in LOGS if path.parent.name == "memcheck" and "fork" not in path.stem
]
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Program output the noise is made of: words with none of `#`, `=`, `:`, so
# that it cannot pass for a frame, a `==pid==` line or a section header.
NOISE = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,!"), max_size=40)


def _key(report: Report) -> tuple:
    return (report.source.offset, report.kind, report.access, report.stacks, report.truncated)


def _complete(text: str) -> list[Report]:
    return [r for r in parse_text(text, "log").reports if not r.truncated]


@SETTINGS
@given(st.text(max_size=2000))
def test_random_text_never_raises(text: str) -> None:
    parse_text(text, "log")


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    parse_bytes(data, "log")


@SETTINGS
@given(st.sampled_from(TEXTS), st.floats(min_value=0, max_value=1))
def test_cut_log_keeps_reports_complete_before_the_cut(text: str, where: float) -> None:
    cut = int(len(text) * where)
    before = {
        _key(r) for r in parse_text(text, "log").reports if r.source.offset + r.source.length <= cut
    }
    after = {_key(r) for r in parse_text(text[:cut], "log").reports}
    assert before <= after


@SETTINGS
@given(st.lists(st.sampled_from(TEXTS), min_size=2, max_size=4))
def test_concatenated_logs_keep_every_report(texts: list[str]) -> None:
    expected = sum(len(parse_text(t, "log").reports) for t in texts)
    assert len(parse_text("".join(texts), "log").reports) == expected


@SETTINGS
@given(st.sampled_from(LINE_TEXTS), st.lists(NOISE, min_size=1, max_size=50), st.randoms())
def test_noise_between_lines_keeps_complete_reports(text, noise, random) -> None:
    lines = text.splitlines(keepends=True)
    mixed = []
    for line in lines:
        mixed.append(line)
        if random.random() < 0.3:
            mixed.append(random.choice(noise) + "\n")
    expected = [(r.kind, r.access, r.stacks) for r in _complete(text)]
    got = [(r.kind, r.access, r.stacks) for r in _complete("".join(mixed))]
    assert got == expected


@SETTINGS
@given(
    st.sampled_from(TEXTS), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=20)
)
def test_flipped_bytes_never_raise(text: str, flips: list[tuple[float, int]]) -> None:
    data = bytearray(text.encode())
    for where, value in flips:
        if data:
            data[int(where * (len(data) - 1))] = value
    parse_bytes(bytes(data), "log")


@SETTINGS
@given(st.sampled_from(MEMCHECK_TEXTS), st.sampled_from(MEMCHECK_TEXTS), st.randoms())
def test_memcheck_processes_interleaved_line_by_line_keep_every_report(first, second, random):
    # Two processes under valgrind --trace-children=yes write to one terminal.
    def shape(text: str) -> Counter:
        reports = parse_text(text, "log").reports
        return Counter((r.source.pid, r.kind, r.access, r.stacks, r.truncated) for r in reports)

    assume(first.split("==", 2)[1] != second.split("==", 2)[1])
    left, right = first.splitlines(keepends=True), second.splitlines(keepends=True)
    mixed = []
    while left or right:
        take = left if left and (not right or random.random() < 0.5) else right
        mixed.append(take.pop(0))
    assert shape("".join(mixed)) == shape(first) + shape(second)
