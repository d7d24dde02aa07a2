"""Triage over worker processes: the same findings as in one process, the
representative report whole, and the store holding every stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.pipeline import TriageResult, triage
from harness.store import open_store
from harness.store.rows import stacks_key
from harness.triage.parallel import POOL_THRESHOLD

LOGS = Path(__file__).resolve().parents[1] / "data" / "logs" / "clang"
SOURCES = ("use_after_free.log", "double_free.log", "heap_overflow_write.log", "leak.log")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """More logs than POOL_THRESHOLD, several copies of each of a few real logs."""
    present = [LOGS / name for name in SOURCES if (LOGS / name).is_file()]
    if len(present) < 2:
        pytest.skip("the real clang logs are missing")
    folder = tmp_path / "logs"
    folder.mkdir()
    for number in range(POOL_THRESHOLD + 16):
        source = present[number % len(present)]
        # a varied prefix: distinct content, so distinct sha256 keys
        data = f"run {number}\n".encode() + source.read_bytes()
        (folder / f"{number:03d}-{source.name}").write_bytes(data)
    return folder


def _places(result: TriageResult) -> list[tuple[str, int, tuple[tuple[str, int, str | None], ...]]]:
    # a second triage lists the reports of stored logs by place (Finding.stored)
    return [
        (
            f.id,
            f.count,
            tuple(
                sorted(
                    [(r.source.log, r.source.offset, r.address) for r in f.reports]
                    + [(ref.log, ref.offset, ref.address) for ref in f.stored]
                )
            ),
        )
        for f in result.findings
    ]


def test_workers_find_what_one_process_finds(corpus: Path, tmp_path: Path) -> None:
    alone = triage([str(corpus)], root=tmp_path, workers=1)
    pooled = triage([str(corpus)], root=tmp_path, workers=2)
    assert _places(pooled) == _places(alone)
    assert pooled.stats.reports == alone.stats.reports >= POOL_THRESHOLD
    for mine, theirs in zip(pooled.findings, alone.findings, strict=True):
        # the report shown first is the whole one, pcs included
        assert mine.reports[0] == theirs.reports[0]
        assert any(frame.pc is not None for s in mine.reports[0].stacks for frame in s.frames)
        # the others keep every stack, without pcs (as the store keeps them)
        for light, whole in zip(mine.reports[1:], theirs.reports[1:], strict=True):
            assert stacks_key(light.stacks) == stacks_key(whole.stacks)


def test_the_store_keeps_every_stack_and_a_second_triage_agrees(
    corpus: Path, tmp_path: Path
) -> None:
    with open_store(tmp_path / "findings.db") as store:
        first = triage([str(corpus)], store=store, root=tmp_path, workers=2)
        second = triage([str(corpus)], store=store, root=tmp_path, workers=2)
        assert _places(second) == _places(first)
        for finding in first.findings:
            shown = store.detail(finding.id).representative
            assert shown is not None
            assert stacks_key(shown.stacks) == stacks_key(finding.reports[0].stacks)
    assert {f.status for f in first.findings} == {"new"}
    assert {f.status for f in second.findings} == {"new"}  # the same logs: no new sighting
