"""A second triage of unchanged logs reads stored finding ids as they are
when they were made under the same signature rules, and signs the stored
reports again when the rules changed."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from harness.pipeline import TriageResult, triage
from harness.render import Format
from harness.store import open_store
from harness.store.rows import stacks_key

LOGS = Path(__file__).resolve().parents[1] / "data" / "logs" / "clang"
SOURCES = ("use_after_free.log", "double_free.log", "heap_overflow_write.log", "leak.log")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    present = [LOGS / name for name in SOURCES if (LOGS / name).is_file()]
    if len(present) < 2:
        pytest.skip("the real clang logs are missing")
    folder = tmp_path / "logs"
    folder.mkdir()
    for number in range(12):
        source = present[number % len(present)]
        data = f"run {number}\n".encode() + source.read_bytes()
        (folder / f"{number:03d}-{source.name}").write_bytes(data)
    return folder


def _json(result: TriageResult) -> dict[str, Any]:
    out = io.StringIO()
    Format.JSON.render(result, out)
    document: dict[str, Any] = json.loads(out.getvalue())
    document["stats"].pop("seconds")
    for finding in document["findings"]:
        finding.pop("status")
    return document


def test_second_triage_lists_stored_reports_by_place_and_agrees(
    corpus: Path, tmp_path: Path
) -> None:
    with open_store(tmp_path / "findings.db") as store:
        first = triage([str(corpus)], store=store, root=tmp_path, workers=1)
        second = triage([str(corpus)], store=store, root=tmp_path, workers=1)
    # GIVEN unchanged logs WHEN triaged again THEN only the report shown first is whole
    assert all(len(f.reports) == 1 and f.count == len(f.stored) + 1 for f in second.findings)
    assert sum(f.count for f in second.findings) == first.stats.reports
    for shown, parsed in zip(second.findings, first.findings, strict=True):
        assert shown.reports[0].source == parsed.reports[0].source
        assert stacks_key(shown.reports[0].stacks) == stacks_key(parsed.reports[0].stacks)
    assert _json(second) == _json(first)


def test_changed_rules_sign_stored_reports_again(corpus: Path, tmp_path: Path) -> None:
    with open_store(tmp_path / "findings.db") as store:
        triage([str(corpus)], store=store, root=tmp_path, workers=1)
        fresh = triage([str(corpus)], root=tmp_path, workers=1, depth=1)
        again = triage([str(corpus)], store=store, root=tmp_path, workers=1, depth=1)
        back = triage([str(corpus)], store=store, root=tmp_path, workers=1)
        # a log stored under other rules: stored ids are no longer read as they are
        copied = sorted(corpus.iterdir())[0].read_bytes()
        (corpus / "extra.log").write_bytes(b"another run\n" + copied)
        triage([str(corpus)], store=store, root=tmp_path, workers=1, depth=1)
        mixed = triage([str(corpus)], store=store, root=tmp_path, workers=1)
        alone = triage([str(corpus)], root=tmp_path, workers=1)
    assert not any(f.stored for f in again.findings)
    assert [(f.id, f.count) for f in again.findings] == [(f.id, f.count) for f in fresh.findings]
    assert any(f.stored for f in back.findings)
    assert not any(f.stored for f in mixed.findings)
    assert [(f.id, f.count) for f in mixed.findings] == [(f.id, f.count) for f in alone.findings]
