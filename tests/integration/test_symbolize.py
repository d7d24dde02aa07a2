"""Offline symbolization against real binaries, real runtimes and the real
llvm-symbolizer and addr2line: a log written with symbolize=0 and symbolized
here gets the finding id of the same crash symbolized by the runtime."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.model import ParseResult
from harness.parse import parse_file, parse_text
from harness.symbolize import Symbolizer, build_id, symbolize_result
from harness.symbolize.backends import Addr2line, LlvmSymbolizer
from harness.triage.signature import signature
from tests.helpers import clang_works, find_clang

# helper and middle are inlined into main at -O1: one pc, three frames.
PROGRAM = r"""
#include <stdlib.h>
static int helper(char *p, int n) { p[n] = 1; return p[0]; }
int middle(char *p, int n) { return helper(p, n) + 1; }
int main(int argc, char **argv) {
  char *p = malloc(8);
  int r = middle(p, 8 + argc - 1);
  free(p);
  return r;
}
"""
TITLE = "heap-buffer-overflow WRITE in helper ‹ middle ‹ main"
LLVM = shutil.which("llvm-symbolizer")
ADDR2LINE = shutil.which("addr2line")


@dataclass(frozen=True)
class Built:
    binary: Path
    raw: Path  # log written with symbolize=0
    symbolized: Path  # log written with symbolize=1


def _build(folder: Path, cc: str, name: str) -> Built:
    source = folder / "p.c"
    source.write_text(PROGRAM)
    binary = folder / name
    flags = ["-fsanitize=address", "-g", "-O1", "-fPIE", "-pie"]
    subprocess.run([cc, *flags, str(source), "-o", str(binary)], check=True)
    logs = []
    for symbolize in (0, 1):
        env = dict(os.environ, ASAN_OPTIONS=f"symbolize={symbolize}:detect_leaks=0")
        done = subprocess.run([str(binary)], env=env, capture_output=True, text=True)
        assert "heap-buffer-overflow" in done.stderr
        log = folder / f"{name}.symbolize{symbolize}.log"
        log.write_text(done.stderr)
        logs.append(log)
    return Built(binary, logs[0], logs[1])


@pytest.fixture(scope="session")
def gcc_built(tmp_path_factory) -> Built:
    return _build(tmp_path_factory.mktemp("gcc"), "gcc", "prog-gcc")


@pytest.fixture(scope="session")
def clang_built(tmp_path_factory) -> Built:
    if not clang_works():
        pytest.skip("no clang with AddressSanitizer here")
    return _build(tmp_path_factory.mktemp("clang"), find_clang() or "clang", "prog-clang")


def _only(result: ParseResult):
    (report,) = result.reports
    return report


def _tools() -> list:
    return [
        pytest.param(LLVM, id="llvm-symbolizer", marks=pytest.mark.skipif(not LLVM, reason="none")),
        pytest.param(
            ADDR2LINE, id="addr2line", marks=pytest.mark.skipif(not ADDR2LINE, reason="-")
        ),
    ]


@pytest.mark.parametrize("tool", _tools())
def test_gcc_log_symbolized_offline_gets_the_runtime_symbolized_id(gcc_built, tool):
    # GIVEN the same crash logged unsymbolized and symbolized by GCC's runtime
    raw, named = _only(parse_file(gcc_built.raw)), _only(parse_file(gcc_built.symbolized))
    assert signature(named).title == TITLE
    assert signature(raw).id != signature(named).id  # module+offset keys
    # WHEN the unsymbolized log is symbolized here
    with Symbolizer(tool=tool) as symbolizer:
        done = _only(symbolize_result(parse_file(gcc_built.raw), symbolizer))
    # THEN it is the same finding, with its inlined frames and source lines back
    assert signature(done).id == signature(named).id
    assert [f.function for f in done.stacks[0].frames[:3]] == ["helper", "middle", "main"]
    assert done.stacks[0].frames[0].file.endswith("p.c") and done.stacks[0].frames[0].line == 3
    assert [f.index for f in done.stacks[0].frames] == list(range(len(done.stacks[0].frames)))
    assert "unsymbolized" not in done.details
    assert symbolizer.notes == ()


def test_clang_log_symbolized_offline_gets_the_runtime_symbolized_id(clang_built):
    if not LLVM:
        pytest.skip("no llvm-symbolizer")
    raw = parse_file(clang_built.raw)
    assert _only(raw).stacks[0].frames[0].build_id == build_id(clang_built.binary)
    named = _only(parse_file(clang_built.symbolized))
    with Symbolizer(tool=LLVM) as symbolizer:
        done = _only(symbolize_result(raw, symbolizer))
    assert signature(done).id == signature(named).id
    assert signature(done).title == TITLE


def test_symbolizing_a_symbolized_log_changes_no_id(gcc_built, clang_built):
    for built in (gcc_built, clang_built):
        parsed = parse_file(built.symbolized)
        with Symbolizer() as symbolizer:
            again = symbolize_result(parsed, symbolizer)
        assert signature(_only(again)).id == signature(_only(parsed)).id


def test_build_ids_match_readelf(gcc_built, clang_built):
    for binary in (gcc_built.binary, clang_built.binary):
        notes = subprocess.run(["readelf", "-n", str(binary)], capture_output=True, text=True)
        expected = re.search(r"Build ID: ([0-9a-f]+)", notes.stdout)
        assert expected and build_id(binary) == expected.group(1)
    assert build_id(gcc_built.raw) is None  # not an ELF file


@pytest.mark.skipif(not (LLVM and ADDR2LINE), reason="needs llvm-symbolizer and addr2line")
def test_both_protocols_answer_a_batch_alike(gcc_built):
    # GIVEN addresses all through the binary's functions, each asked twice
    argv = ["nm", "-S", "--defined-only", str(gcc_built.binary)]
    symbols = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    offsets = []
    for line in symbols.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in "Tt":
            start, size = int(fields[0], 16), int(fields[1], 16)
            offsets += range(start, start + size, 2)
    offsets *= 2
    assert len(offsets) > 100
    # WHEN both backends are asked in one batch
    llvm = LlvmSymbolizer(LLVM or "")
    try:
        by_llvm = llvm.lookup(str(gcc_built.binary), offsets)
    finally:
        llvm.close()
    by_addr2line = Addr2line(ADDR2LINE or "").lookup(str(gcc_built.binary), offsets)
    # THEN every address has an answer, in order, and they agree on the function
    assert len(by_llvm) == len(by_addr2line) == len(offsets)
    assert any(answer and answer[0].function == "main" for answer in by_llvm)
    outer = [a[-1].function if a else None for a in by_llvm]
    assert outer == [a[-1].function if a else None for a in by_addr2line]


def test_a_rebuilt_binary_with_another_build_id_is_refused(clang_built, gcc_built, tmp_path):
    # GIVEN a clang log (it names the build-id) and, where its binary should
    # be, another build of the program
    shutil.copy(gcc_built.binary, tmp_path / clang_built.binary.name)
    text = clang_built.raw.read_text().replace(str(clang_built.binary.parent), "/ci/out")
    raw = parse_text(text, "ci.log")
    # WHEN symbolizing with the path mapped there
    with Symbolizer(path_map={"/ci/out": str(tmp_path)}) as symbolizer:
        done = _only(symbolize_result(raw, symbolizer))
    # THEN the frames keep module+offset, the report says so, and so does a note, once
    assert done.stacks == _only(raw).stacks
    assert done.details["unsymbolized"] is True
    (note,) = symbolizer.notes
    assert "build-id" in note and build_id(clang_built.binary) in note


def test_a_ci_path_is_mapped_to_the_local_binary(clang_built, gcc_built, tmp_path):
    # GIVEN logs naming the binaries where a CI machine built them
    folder = str(clang_built.binary.parent)
    text = clang_built.raw.read_text().replace(folder, "/ci/build/out")
    named = _only(parse_file(clang_built.symbolized))
    gcc_text = gcc_built.raw.read_text().replace(str(gcc_built.binary.parent), "/ci/other")
    # WHEN the prefix is mapped, or the binary's folder is searched
    with Symbolizer(path_map={"/ci/build/out/": folder}) as symbolizer:
        mapped = _only(symbolize_result(parse_text(text, "ci.log"), symbolizer))
    with Symbolizer(search_dirs=[gcc_built.binary.parent]) as symbolizer:
        searched = _only(symbolize_result(parse_text(gcc_text, "ci.log"), symbolizer))
    # THEN both are symbolized as if the logs were local
    assert signature(mapped).id == signature(named).id
    assert signature(searched).title == TITLE


def test_answers_are_kept_on_disk_by_build_id(clang_built, tmp_path):
    cache = tmp_path / ".harness" / "symbols.json"
    with Symbolizer(tool=LLVM, cache_file=cache) as symbolizer:
        first = symbolize_result(parse_file(clang_built.raw), symbolizer)
    assert build_id(clang_built.binary) in cache.read_text()
    # a later triage finds every answer in the cache: no symbolizer is started
    with Symbolizer(tool=str(tmp_path / "no-such-symbolizer"), cache_file=cache) as later:
        second = symbolize_result(parse_file(clang_built.raw), later)
    assert later.backend_name is None and later.notes == ()
    assert signature(_only(second)).id == signature(_only(first)).id
