"""`harness cost` on the heap_peak sample: real builds (made on demand), real
sanitizer runtimes, real Valgrind and heaptrack. Timings are noisy on a shared
machine: the tests check that every row is there with measured figures, never
which tool is faster."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness import cost, probe, run_modes
from harness.cli import main
from harness.errors import EXIT_OK
from harness.project import open_project
from tests.integration.test_profile import make_project

TOOL_NAMES = [
    "native",
    "asan",
    "lsan",
    "ubsan",
    "memcheck",
    "massif",
    "heaptrack",
    "ltrace",
    "jemalloc",
]
# Tools a machine may lack, and how to tell: the row then says "not installed".
OPTIONAL = {
    "heaptrack": lambda: shutil.which("heaptrack") is not None,
    "ltrace": lambda: shutil.which("ltrace") is not None,
    "jemalloc": lambda: run_modes.ldconfig_lookup(run_modes.JEMALLOC_SONAME) is not None,
}
pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> tuple[Path, dict, str]:
    """One measurement (2 runs per tool) on a project with nothing built yet."""
    root = make_project(tmp_path_factory.mktemp("cost"))
    said: list[str] = []
    report = cost.measure_costs(
        open_project(str(root)), "heap_peak", "small.txt", 2, None, None, said.append
    )
    return root, cost.to_json(report, root), "\n".join(said)


def test_every_tool_has_a_row_with_measured_figures(measured):
    _, data, _ = measured

    assert [row["tool"] for row in data["rows"]] == TOOL_NAMES
    for row in data["rows"]:
        if row["tool"] in OPTIONAL and not OPTIONAL[row["tool"]]():
            assert row["status"] == "not installed"
            continue
        assert row["status"] == "measured", row
        assert row["seconds"] > 0 and row["slowdown"] > 0 and row["max_rss_kb"] > 0
        assert len(row["runs"]) == 2
        for run in row["runs"]:
            assert run["exit_code"] == 0 and run["signal"] is None and not run["timed_out"]
            assert run["seconds"] > 0 and run["max_rss_kb"] > 0


def test_json_shape_and_the_file_in_reports(measured):
    root, data, _ = measured

    assert data["schema"] == "harness.cost/1"
    assert (data["target"], data["input"], data["cc"]) == (
        "heap_peak",
        "samples/heap_peak/inputs/small.txt",
        "gcc",
    )
    assert data["compiler"].startswith("gcc ")
    assert data["runs"] == 2
    assert len(data["commit"]) == 40
    rows = {row["tool"]: row for row in data["rows"]}
    assert rows["native"]["slowdown"] == 1.0
    assert rows["asan"]["binary"] == "build/gcc-asan/heap_peak"
    assert rows["memcheck"]["binary"] == "build/gcc-plain/heap_peak"
    assert rows["memcheck"]["argv"][:2] == ["valgrind", "--tool=memcheck"]
    assert "halt_on_error=0" in rows["ubsan"]["options"]["UBSAN_OPTIONS"]
    if rows["ltrace"]["status"] == "measured":
        assert rows["ltrace"]["argv"][0] == "ltrace" and "-x" in rows["ltrace"]["argv"]
        assert rows["ltrace"]["binary"] == "build/gcc-plain/heap_peak"
    if rows["jemalloc"]["status"] == "measured":
        assert rows["jemalloc"]["options"]["LD_PRELOAD"].endswith("libjemalloc.so.2")
        assert "prof:true" in rows["jemalloc"]["options"]["MALLOC_CONF"]
    written = json.loads((root / "reports" / "cost-heap_peak-small.json").read_text())
    assert written == data


def test_missing_builds_are_made_and_said(measured):
    root, _, stderr = measured

    for profile in ("plain", "asan", "lsan", "ubsan"):
        assert f"building heap_peak ({profile}, gcc)" in stderr
        assert (root / "build" / f"gcc-{profile}" / "heap_peak").is_file()


def test_native_peak_is_the_programs_own_not_the_harnesss(measured):
    # A child forked from Python would report the interpreter's RSS (20+ MiB).
    _, data, _ = measured

    assert data["rows"][0]["max_rss_kb"] < 8 * 1024


def test_table_and_a_tool_that_is_not_installed(measured, monkeypatch, capsys):
    root, _, _ = measured
    missing = cost.Tool("nosuchtool", "plain", ("harness-no-such-tool-xyz",))
    monkeypatch.setattr(cost, "TOOLS", (*cost.TOOLS[:1], missing))

    assert main(["-C", str(root), "cost", "heap_peak", "medium.txt", "--runs", "1"]) == EXIT_OK
    shown = capsys.readouterr().out

    assert "native" in shown
    row = next(line for line in shown.splitlines() if line.startswith("nosuchtool"))
    assert "not installed" in row
    data = json.loads((root / "reports" / "cost-heap_peak-medium.json").read_text())
    assert data["rows"][1]["status"] == "not installed" and data["rows"][1]["seconds"] is None


def test_a_run_past_its_timeout_is_killed_and_marked(tmp_path: Path):
    wrapper = probe.wrapper(tmp_path / "tools")
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    result = probe.measure(wrapper, ["sleep", "30"], {}, tmp_path, None, scratch, 0.5)

    assert result.timed_out and result.max_rss_kb is None and result.exit_code is None


def test_exit_code_and_signal_of_the_program_are_kept(tmp_path: Path):
    wrapper = probe.wrapper(open_project(str(tmp_path)).state_dir / "tools")
    scratch = tmp_path

    failed = probe.measure(
        wrapper, ["sh", "-c", "exit 7"], {"PATH": "/usr/bin:/bin"}, tmp_path, None, scratch, 10
    )
    killed = probe.measure(
        wrapper,
        ["sh", "-c", "kill -SEGV $$"],
        {"PATH": "/usr/bin:/bin"},
        tmp_path,
        None,
        scratch,
        10,
    )

    assert (failed.exit_code, failed.signal, failed.timed_out) == (7, None, False)
    assert (killed.exit_code, killed.signal) == (None, "SIGSEGV")


def test_format_json_prints_what_it_writes(measured, capsys):
    root, _, _ = measured

    code = main(
        ["-C", str(root), "cost", "heap_peak", "small.txt", "--runs", "1", "--format", "json"]
    )

    assert code == EXIT_OK
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((root / "reports" / "cost-heap_peak-small.json").read_text())
    assert [row["tool"] for row in printed["rows"]] == TOOL_NAMES
    assert printed["runs"] == 1
