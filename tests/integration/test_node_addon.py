"""A Node.js addon (samples/node_addon, N-API) built with ASan and run under node.

`harness build --asan` makes build/gcc-asan/node_addon/tokenize.node (no
node-gyp); `harness run` starts the real node binary with libasan preloaded and
the addon's folder on NODE_PATH. The findings must point into the addon.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import cli, interpreters
from harness.errors import ToolError
from tests.helpers import HARNESS

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "node_addon"
TOML = """[[target]]
name = "node_addon"
kind = "node-addon"
module = "tokenize"
sources = ["samples/node_addon/tokenize.c"]
script = "samples/node_addon/driver.js"
inputs = "samples/node_addon/inputs"
"""


def _node_problem() -> str | None:
    if shutil.which("gcc") is None:
        return "needs gcc"
    try:
        interpreters.describe_node("node")
    except ToolError as exc:
        return f"node or its N-API headers not found: {exc}"
    return None


pytestmark = pytest.mark.skipif(_node_problem() is not None, reason=str(_node_problem()))


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> tuple[Path, str, dict]:
    """Build once, run the three inputs once, triage the run (no store)."""
    root = tmp_path_factory.mktemp("node")
    shutil.copytree(SAMPLE, root / "samples" / "node_addon")
    (root / "harness.toml").write_text(TOML)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert cli.main(["-C", str(root), "build", "--asan", "--cc", "gcc"]) == 0
    done = subprocess.run(
        [*HARNESS, "-C", str(root), "run", "--cc", "gcc"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    run_dir = root / re.search(r"(logs/\S+)/", done.stdout).group(1)
    triaged = subprocess.run(
        [*HARNESS, "-C", str(root), "triage", str(run_dir), "--format", "json", "--no-store"],
        capture_output=True,
        text=True,
    )
    return root, done.stdout, json.loads(triaged.stdout)


def _by_input(data: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for finding in data["findings"]:
        for report in finding["reports"]:
            found.setdefault(Path(report["input"]).name, []).append(finding)
    return found


def test_the_addon_is_a_shared_library_named_for_node(ran):
    root, _, _ = ran

    addon = root / "build" / "gcc-asan" / "node_addon" / "tokenize.node"
    record = json.loads((root / "build" / "gcc-asan" / "build.json").read_text())

    assert addon.read_bytes()[:4] == b"\x7fELF"
    entry = record["targets"]["node_addon"]
    assert entry["kind"] == "node-addon" and "-fPIC" in entry["cflags"]
    assert any(flag.startswith("-I") and flag.endswith("include/node") for flag in entry["cflags"])


def test_the_overflow_is_a_heap_buffer_overflow_write_in_the_addon(ran):
    _, _, data = ran

    [finding] = _by_input(data)["overflow.txt"]

    assert finding["kind"] == "heap-buffer-overflow" and finding["access"] == "WRITE"
    # node's and V8's frames below the addon are no part of the finding
    assert [frame["key"] for frame in finding["frames"]] == ["split_words", "tokenize"]
    assert all(frame["file"].endswith("tokenize.c") for frame in finding["frames"])


def test_the_leak_is_allocated_in_the_addon(ran):
    _, _, data = ran

    [finding] = _by_input(data)["leak.txt"]

    assert finding["kind"] == "leak"
    assert [frame["key"] for frame in finding["frames"]] == ["copy_comment", "tokenize"]


def test_the_benign_input_reports_nothing(ran):
    _, _, data = ran

    assert "benign.txt" not in _by_input(data)
    assert len(data["findings"]) == 2


def test_the_summary_names_node_and_its_suppressions(ran):
    _, out, _ = ran

    assert "ran in" in out and "(node " in out
    assert "harness/data/node.supp" in out
    assert "preloaded:" in out and "libasan" in out
