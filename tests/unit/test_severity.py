"""Severity table: writes outrank reads; heap corruption high; crashes near 0 low."""

from __future__ import annotations

import pytest

from harness.triage.severity import HIGH, LOW, MEDIUM, rate


@pytest.mark.parametrize(
    ("kind", "access", "severity", "security"),
    [
        ("heap-use-after-free", "READ", HIGH, True),
        ("heap-use-after-free", "WRITE", HIGH, True),
        ("double-free", None, HIGH, True),
        ("heap-buffer-overflow", "WRITE", HIGH, True),
        ("stack-buffer-overflow", "WRITE", HIGH, True),
        ("global-buffer-overflow", "WRITE", HIGH, True),
        ("heap-buffer-overflow", "READ", MEDIUM, True),
        ("global-buffer-overflow", "READ", MEDIUM, True),
        ("bad-free", None, MEDIUM, True),
        ("alloc-dealloc-mismatch", None, MEDIUM, True),
        ("segv", "WRITE", HIGH, True),
        ("segv", "READ", MEDIUM, True),
        ("null-dereference", "READ", LOW, False),
        ("stack-overflow", None, LOW, False),
        ("leak", None, LOW, False),
        ("signed-integer-overflow", None, LOW, False),
        ("misaligned-pointer-use", None, LOW, False),
        # the kinds the parsers give, as ASan, UBSan and memcheck name them
        ("strncpy-param-overlap", None, MEDIUM, True),
        ("strcat-param-overlap", None, MEDIUM, True),
        ("out-of-bounds-index", None, LOW, True),
        ("insufficient-object-size", "READ", LOW, True),
        ("dynamic-type-mismatch", None, LOW, True),
        ("cfi-icall", None, LOW, True),
        ("something-never-seen", None, LOW, False),
    ],
)
def test_rating(kind: str, access: str | None, severity: str, security: bool) -> None:
    rating = rate(kind, access)
    assert (rating.severity, rating.security) == (severity, security)


def test_writes_outrank_reads() -> None:
    order = {HIGH: 0, MEDIUM: 1, LOW: 2}
    for kind in ("heap-buffer-overflow", "stack-buffer-overflow", "segv", "container-overflow"):
        assert order[rate(kind, "WRITE").severity] < order[rate(kind, "READ").severity]
