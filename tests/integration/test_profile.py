"""`harness profile --massif` on the heap_peak sample: real gcc, real Valgrind,
real matplotlib, a real git repository for --compare REV.

heap_peak's peak is the dense table `load_table` allocates: ROWS * COLS
doubles, 64 KiB for small.txt, 1 MiB for medium.txt, 8 MiB for large.txt.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from harness import build, heap_profile
from harness.cli import main
from harness.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from harness.project import open_project

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "heap_peak"
TABLE_BYTES = {"small": 64 * 128 * 8, "medium": 256 * 512 * 8, "large": 1024 * 1024 * 8}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

TOML = """\
[[target]]
name = "heap_peak"
sources = ["samples/heap_peak/main.c"]
inputs = "samples/heap_peak/inputs"

[[target]]
name = "heap_peak_stdin"
sources = ["samples/heap_peak/main.c"]
inputs = "samples/heap_peak/inputs"
input = "stdin"
args = ["/dev/stdin"]
"""

pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")


def make_project(root: Path) -> Path:
    """A project with a copy of the sample, committed in a fresh git repository."""
    shutil.copytree(SAMPLE, root / "samples" / "heap_peak")
    (root / "harness.toml").write_text(TOML, encoding="utf-8")
    (root / ".gitignore").write_text("build/\nreports/\n.harness/\n", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    subprocess.run([*git, "-C", str(root), "commit", "-qm", "sample"], check=True)
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("profile"))
    build.build_targets(open_project(str(root)), "plain", "gcc", None, ())
    return root


def profile(root: Path, *args: str) -> int:
    return main(["-C", str(root), "profile", *args])


def test_profile_names_load_table_at_the_peak(project: Path, capsys):
    assert profile(project, "heap_peak", "medium.txt", "--massif") == EXIT_OK
    shown = capsys.readouterr().out

    data = json.loads((project / "reports" / "profile-heap_peak-medium.json").read_text())
    assert data["schema"] == "harness.profile/1"
    assert data["exit_code"] == 0
    top = data["sites"][0]
    assert top["function"] == "load_table"
    assert top["location"].startswith("main.c:")
    assert top["path"] == ["load_table", "main"]
    assert top["bytes"] == TABLE_BYTES["medium"]
    assert top["share"] > 95
    peak = data["peak"]
    assert TABLE_BYTES["medium"] <= peak["heap"] < 2 * TABLE_BYTES["medium"]
    assert peak["total"] == peak["heap"] + peak["heap_extra"]
    assert len(data["massif"]["snapshots"]) > 5
    assert (project / data["massif_out"]).is_file()
    assert "load_table" in shown and "peak: snapshot" in shown


def test_plots_are_valid_png_and_svg(project: Path):
    assert profile(project, "heap_peak", "small.txt") == EXIT_OK

    png = project / "reports" / "profile-heap_peak-small.png"
    svg = project / "reports" / "profile-heap_peak-small.svg"
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert png.stat().st_size > 5000
    root = ElementTree.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "peak" in svg.read_text(encoding="utf-8")


def test_stdin_input_reaches_the_program(project: Path):
    result = heap_profile.profile(open_project(str(project)), "heap_peak_stdin", "large.txt")

    assert result.exit_code == 0
    assert heap_profile.peak_sites(result.massif)[0].bytes == TABLE_BYTES["large"]


def test_compare_with_a_smaller_input_shows_the_site_grew(project: Path, capsys):
    assert profile(project, "heap_peak", "small.txt") == EXIT_OK
    small_json = project / "reports" / "profile-heap_peak-small.json"
    capsys.readouterr()

    assert profile(project, "heap_peak", "large.txt", "--compare", str(small_json)) == EXIT_OK
    shown = capsys.readouterr().out

    row = next(line for line in shown.splitlines() if line.startswith("load_table ‹ main"))
    assert "grew" in row
    assert f"+{TABLE_BYTES['large'] - TABLE_BYTES['small']:,}" in row
    before = heap_profile.read_profile_file(project / "reports/profile-heap_peak-small/massif.out")
    after = heap_profile.read_profile_file(project / "reports/profile-heap_peak-large.json")
    change = heap_profile.compare(before, after)[0]
    assert (change.key, change.status) == ("load_table ‹ main", "grew")


def head_of(root: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def double_the_table(root: Path) -> None:
    """Edit the sample so that load_table allocates twice as much (not committed)."""
    source = root / "samples" / "heap_peak" / "main.c"
    source.write_text(
        source.read_text().replace("malloc(count * sizeof", "malloc(2 * count * sizeof")
    )


def test_compare_with_a_commit_reads_the_profile_stored_for_it(tmp_path: Path, capsys):
    root = make_project(tmp_path)
    build.build_targets(open_project(str(root)), "plain", "gcc", None, ["heap_peak"])
    assert profile(root, "heap_peak", "medium.txt") == EXIT_OK
    first = head_of(root)
    assert (root / ".harness" / "profiles" / first / "heap_peak-medium.json").is_file()
    double_the_table(root)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(root)]
    subprocess.run([*git, "commit", "-qam", "twice the table"], check=True)
    build.build_targets(open_project(str(root)), "plain", "gcc", None, ["heap_peak"])
    capsys.readouterr()

    assert profile(root, "heap_peak", "medium.txt", "--compare", "HEAD~1") == EXIT_OK

    compared = capsys.readouterr().out.split("against HEAD~1:")[1]
    row = next(line for line in compared.splitlines() if line.startswith("load_table"))
    assert f"{TABLE_BYTES['medium']:,}" in row and f"{2 * TABLE_BYTES['medium']:,}" in row
    assert "grew" in row


def test_compare_with_a_commit_never_profiled_says_what_to_do(project: Path, capsys):
    assert profile(project, "heap_peak", "small.txt", "--compare", "HEAD") == EXIT_OK
    capsys.readouterr()

    assert profile(project, "heap_peak", "medium.txt", "--compare", "no-such-rev") == EXIT_USAGE
    assert "neither a file nor a git revision" in capsys.readouterr().err


def test_a_missing_or_stale_plain_build_is_made_first_and_said(tmp_path: Path, capsys):
    root = make_project(tmp_path)

    assert profile(root, "heap_peak", "medium.txt") == EXIT_OK
    assert "building heap_peak (plain, gcc)" in capsys.readouterr().err
    double_the_table(root)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(root)]
    subprocess.run([*git, "commit", "-qam", "twice the table"], check=True)

    # the profile kept as this commit's is of this commit's code, not the old binary
    assert profile(root, "heap_peak", "medium.txt") == EXIT_OK
    assert "rebuilt heap_peak (plain, gcc)" in capsys.readouterr().err
    kept = root / ".harness" / "profiles" / head_of(root) / "heap_peak-medium.json"
    assert json.loads(kept.read_text())["sites"][0]["bytes"] == 2 * TABLE_BYTES["medium"]


def test_a_binary_of_the_projects_own_build_missing_says_to_build_it(tmp_path: Path, capsys):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "a.txt").write_text("a\n")
    (tmp_path / "harness.toml").write_text(
        '[[target]]\nname = "tool"\nbinary = "out/tool"\ninputs = "inputs"\n'
    )

    assert profile(tmp_path, "tool", "a.txt") == EXIT_FAILED
    assert "build it with your own command" in capsys.readouterr().err


def test_unknown_input_lists_the_targets_inputs(project: Path, capsys):
    assert profile(project, "heap_peak", "nope.txt") == EXIT_USAGE
    assert "large.txt, medium.txt, small.txt" in capsys.readouterr().err


def test_compare_shows_the_peak_before_and_after(project: Path, capsys):
    assert profile(project, "heap_peak", "small.txt") == EXIT_OK
    small_json = project / "reports" / "profile-heap_peak-small.json"
    before = json.loads(small_json.read_text())["peak"]["total"]
    capsys.readouterr()

    assert profile(project, "heap_peak", "medium.txt", "--compare", str(small_json)) == EXIT_OK

    after = json.loads((project / "reports/profile-heap_peak-medium.json").read_text())
    line = next(
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("peak ") and "→" in line
    )
    assert f"{after['peak']['total'] - before:+,} bytes" in line


def test_a_dirty_tree_is_not_kept_as_the_commits_profile(tmp_path: Path, capsys):
    root = make_project(tmp_path)
    build.build_targets(open_project(str(root)), "plain", "gcc", None, ["heap_peak"])
    assert profile(root, "heap_peak", "medium.txt") == EXIT_OK
    kept = root / ".harness" / "profiles" / head_of(root) / "heap_peak-medium.json"
    clean = kept.read_bytes()
    double_the_table(root)
    build.build_targets(open_project(str(root)), "plain", "gcc", None, ["heap_peak"])
    capsys.readouterr()

    assert profile(root, "heap_peak", "medium.txt", "--compare", "HEAD") == EXIT_OK
    assert "not kept as the profile of" in capsys.readouterr().out
    assert kept.read_bytes() == clean
    # so a second look at the same uncommitted change still compares with the commit
    assert profile(root, "heap_peak", "medium.txt", "--compare", "HEAD") == EXIT_OK
    compared = capsys.readouterr().out.split("against HEAD:")[1]
    row = next(line for line in compared.splitlines() if line.startswith("load_table"))
    assert f"{TABLE_BYTES['medium']:,}" in row and f"{2 * TABLE_BYTES['medium']:,}" in row


# A program that allocates, then waits forever, or dies of SIGSEGV.
STOPPING = """\
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
__attribute__((noinline)) void sink(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
__attribute__((noinline)) void fill(void) {
    for (int i = 0; i < 8; i++) { void *p = malloc(100000); memset(p, 1, 100000); sink(p); }
}
int main(int argc, char **argv) {
    fill();
    if (argc > 2 && strcmp(argv[2], "crash") == 0) *(volatile int *)0 = 1;
    for (;;) pause();
}
"""


@pytest.fixture(scope="module")
def stopping(tmp_path_factory) -> Path:
    return make_stopping(tmp_path_factory.mktemp("stopping"))


def make_stopping(root: Path) -> Path:
    """Targets `hangs` (timeout 1 s) and `crashes` of STOPPING, built plain."""
    (root / "stopping.c").write_text(STOPPING, encoding="utf-8")
    (root / "inputs").mkdir()
    (root / "inputs" / "any.txt").write_text("x\n", encoding="utf-8")
    (root / "harness.toml").write_text(
        '[[target]]\nname = "hangs"\nsources = ["stopping.c"]\ninputs = "inputs"\ntimeout = 1\n\n'
        '[[target]]\nname = "crashes"\nsources = ["stopping.c"]\ninputs = "inputs"\n'
        'args = ["{input}", "crash"]\n',
        encoding="utf-8",
    )
    build.build_targets(open_project(str(root)), "plain", "gcc", None, ())
    return root


def test_a_program_still_running_at_the_timeout_is_profiled_until_then(stopping: Path, capsys):
    assert profile(stopping, "hangs", "any.txt", "--timeout", "4") == EXIT_OK

    shown = capsys.readouterr().out
    assert "stopped with SIGTERM" in shown
    data = json.loads((stopping / "reports" / "profile-hangs-any.json").read_text())
    assert data["timed_out"] is True
    assert data["signal"] == "SIGTERM"
    assert data["sites"][0]["function"] == "fill"
    assert data["sites"][0]["bytes"] == 8 * 100000


def test_a_crash_while_profiled_keeps_the_profile_and_names_the_signal(stopping: Path, capsys):
    assert profile(stopping, "crashes", "any.txt") == EXIT_OK

    shown = capsys.readouterr().out
    assert "killed by SIGSEGV" in shown
    data = json.loads((stopping / "reports" / "profile-crashes-any.json").read_text())
    assert (data["signal"], data["timed_out"]) == ("SIGSEGV", False)
    assert data["sites"][0]["bytes"] == 8 * 100000


def test_a_program_that_allocates_nothing_says_so(tmp_path: Path, capsys):
    (tmp_path / "none.c").write_text("int main(void) { return 0; }\n", encoding="utf-8")
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "a.txt").write_text("a\n", encoding="utf-8")
    (tmp_path / "harness.toml").write_text(
        '[[target]]\nname = "none"\nsources = ["none.c"]\ninputs = "inputs"\n', encoding="utf-8"
    )

    assert profile(tmp_path, "none", "a.txt") == EXIT_OK
    assert "nothing was allocated" in capsys.readouterr().out
