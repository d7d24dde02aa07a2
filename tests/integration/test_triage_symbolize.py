"""`harness triage` symbolizes logs written with symbolize=0, through the CLI,
against a real gcc AddressSanitizer build: the finding id is the one the
runtime's own symbolized log gets; a binary that moved is reported
unsymbolized, until `[symbolize] path_map` points at its new place."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import cli

PROGRAM = r"""
#include <stdlib.h>
int fill(char *p, int n) { for (int i = 0; i <= n; i++) p[i] = (char)i; return p[0]; }
int run(int n) { char *p = malloc(n); int r = fill(p, n); free(p); return r; }
int main(int argc, char **argv) { return run(8 + argc - 1); }
"""
TITLE = "heap-buffer-overflow WRITE in fill ‹ run ‹ main"
POOL_COPIES = 70  # more than the pool threshold: the worker processes symbolize


@dataclass(frozen=True)
class Logs:
    build: Path  # where the binary was built and run (the path the logs name)
    raw: Path  # written with symbolize=0
    symbolized: Path  # written with symbolize=1


def _run(binary: Path, out: Path, symbolize: int) -> Path:
    prefix = out / f"asan-symbolize{symbolize}"
    options = f"symbolize={symbolize}:detect_leaks=0:log_path={prefix}"
    subprocess.run([str(binary)], env=dict(os.environ, ASAN_OPTIONS=options), check=False)
    (log,) = out.glob(f"asan-symbolize{symbolize}.*")
    assert "heap-buffer-overflow" in log.read_text()
    return log


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Logs:
    """One build, its logs with and without symbols, each named by a path
    that stays put (tests copy the binary or the logs, never move these)."""
    folder = tmp_path_factory.mktemp("symbolize-build")
    (folder / "p.c").write_text(PROGRAM)
    binary = folder / "prog"
    flags = ["-fsanitize=address", "-g", "-O0", "-fPIE", "-pie"]
    subprocess.run(["gcc", *flags, str(folder / "p.c"), "-o", str(binary)], check=True)
    out = folder / "logs"
    out.mkdir()
    return Logs(folder, _run(binary, out, 0), _run(binary, out, 1))


@pytest.fixture(scope="session")
def moved(tmp_path_factory: pytest.TempPathFactory, built: Logs) -> tuple[Path, Path, Path]:
    """A log written by a binary that was then moved: (log, old folder, new folder)."""
    base = tmp_path_factory.mktemp("symbolize-moved")
    old, new = base / "ci-build", base / "here"
    old.mkdir()
    shutil.copy2(built.build / "prog", old / "prog")
    log = _run(old / "prog", base, 0)
    new.mkdir()
    shutil.move(old / "prog", new / "prog")
    return log, old, new


def _triage(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["-C", str(root), "triage", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _only(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[dict, dict]:
    code, out, _ = _triage(capsys, root, *args, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    (finding,) = doc["findings"]
    return doc, finding


def test_raw_log_gets_the_id_of_the_runtime_symbolized_log(
    capsys: pytest.CaptureFixture[str], built: Logs, tmp_path: Path
) -> None:
    assert " in fill " not in built.raw.read_text()  # the runtime printed no names
    _, reference = _only(capsys, tmp_path, "--no-store", str(built.symbolized))
    doc, finding = _only(capsys, tmp_path, "--no-store", str(built.raw))
    assert finding["id"] == reference["id"]
    assert finding["title"] == reference["title"] == TITLE
    assert [f["function"] for f in finding["frames"]] == ["fill", "run", "main"]
    assert all(f["file"].endswith("p.c") for f in finding["frames"])
    assert finding["unsymbolized"] is False
    assert doc["symbolize_notes"] == []


def test_worker_processes_symbolize_and_the_store_keeps_the_names(
    capsys: pytest.CaptureFixture[str], built: Logs, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for n in range(POOL_COPIES):
        # a few bytes of program output keep each copy a log of its own
        (logs / f"raw-{n}.log").write_text(f"input {n}\n" + built.raw.read_text())
    shutil.copy2(built.symbolized, logs / "runtime.log")
    _, first = _only(capsys, tmp_path, "-j", "2", str(logs))
    _, again = _only(capsys, tmp_path, "-j", "2", str(logs))  # read back from the store
    assert first["title"] == again["title"] == TITLE
    assert first["count"] == again["count"] == POOL_COPIES + 1
    assert first["id"] == again["id"]
    assert first["status"] == again["status"] == "new"
    assert (tmp_path / ".harness" / "findings.db").is_file()


def test_moved_binary_is_marked_unsymbolized(
    capsys: pytest.CaptureFixture[str], built: Logs, moved: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    log, old, _ = moved
    _, reference = _only(capsys, tmp_path, "--no-store", str(built.symbolized))
    doc, finding = _only(capsys, tmp_path, "--no-store", str(log))
    assert finding["unsymbolized"] is True
    assert finding["id"] != reference["id"]
    assert [f["function"] for f in finding["frames"]] == [None, None, None]
    assert all(f["key"].startswith("prog+0x") for f in finding["frames"])
    assert any(f"{old}/prog: binary not found" in note for note in doc["symbolize_notes"])

    code, table, _ = _triage(capsys, tmp_path, "--no-store", str(log))
    assert code == 0
    assert "(unsymbolized)" in table
    notes = [line for line in table.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and "binary not found" in notes[0]


def test_path_map_finds_the_moved_binary(
    capsys: pytest.CaptureFixture[str], built: Logs, moved: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    log, old, new = moved
    (tmp_path / "harness.toml").write_text(f'[symbolize]\npath_map = {{ "{old}" = "{new}" }}\n')
    _, reference = _only(capsys, tmp_path, "--no-store", str(built.symbolized))
    doc, finding = _only(capsys, tmp_path, "--no-store", str(log))
    assert finding["id"] == reference["id"]
    assert finding["title"] == TITLE
    assert finding["unsymbolized"] is False
    assert doc["symbolize_notes"] == []
    code, table, _ = _triage(capsys, tmp_path, "--no-store", str(log))
    assert "(unsymbolized)" not in table and "note:" not in table
