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
SOURCES = ("heap_use_after_free.log", "double_free.log", "heap_overflow_write.log", "leaks.log")


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


DATA = LOGS.parent
# Real leak logs, and what each finding of three copies of all of them leaked.
# In gcc's LSan log, bugs.c's make_leaks loses a 32-byte node holding another
# (indirect) and a strdup'ed "forgotten" (10): 42 bytes direct, 32 indirect.
# In memcheck's text and XML logs, memcheck.c's leaks() does the same with a
# malloc(10): memcheck says 64 (32 direct, 32 indirect) bytes for the first
# node, and its direct bytes are counted, as LSan counts them.
LEAK_LOGS = ("gcc/leaks.log", "memcheck/leaks.log", "memcheck-xml/leaks.log")
LEAKED = {
    "leak (direct) in make_leaks ‹ main": (126, 6),
    "leak (indirect) in make_leaks ‹ main": (96, 3),
    "leak (direct) in leaks ‹ main": (252, 12),
    "leak (indirect) in leaks ‹ main": (192, 6),
}


def _leaked(result: TriageResult) -> dict[str, tuple[int | None, int | None]]:
    return {f.title: (f.leak_bytes, f.leak_objects) for f in result.findings}


@pytest.fixture
def leak_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "leaks"
    folder.mkdir()
    for copy in range(3):
        for name in LEAK_LOGS:
            data = f"run {copy}\n".encode() + (DATA / name).read_bytes()
            (folder / f"{copy}-{name.replace('/', '-')}").write_bytes(data)
    return folder


def test_leak_totals_read_from_the_store_are_those_of_the_parsed_reports(
    leak_corpus: Path, tmp_path: Path
) -> None:
    with open_store(tmp_path / "findings.db") as store:
        first = triage([str(leak_corpus)], store=store, root=tmp_path, workers=1)
        # GIVEN every report stored WHEN triaged again, by place only
        second = triage([str(leak_corpus)], store=store, root=tmp_path, workers=1)
        # ... and under other signature rules, stored reports signed again
        regrouped = triage([str(leak_corpus)], store=store, root=tmp_path, workers=1, depth=1)
    fresh = triage([str(leak_corpus)], root=tmp_path, workers=1, depth=1)
    assert all(f.stored for f in second.findings)
    assert _leaked(first) == _leaked(second) == LEAKED
    assert _leaked(regrouped) == _leaked(fresh)
    assert sorted(_leaked(fresh).values()) == sorted(LEAKED.values())


def test_leak_totals_add_stored_and_newly_parsed_reports(leak_corpus: Path, tmp_path: Path) -> None:
    with open_store(tmp_path / "findings.db") as store:
        triage([str(leak_corpus)], store=store, root=tmp_path, workers=1)
        # GIVEN new logs that sort before and after the stored ones
        for name in ("000-new.log", "zzz-new.log"):
            (leak_corpus / name).write_bytes(b"again\n" + (DATA / LEAK_LOGS[0]).read_bytes())
        # WHEN triaged with the stored ones
        mixed = triage([str(leak_corpus)], store=store, root=tmp_path, workers=1)
    alone = triage([str(leak_corpus)], root=tmp_path, workers=1)
    # THEN each finding totals both, as a triage that parses every log does
    assert any(f.stored and len(f.reports) > 1 for f in mixed.findings)
    assert _leaked(mixed) == _leaked(alone)
    assert _leaked(mixed)["leak (direct) in make_leaks ‹ main"] == (126 + 2 * 42, 6 + 2 * 2)
