"""`harness ledger` on the repo's leak samples: ltrace, jemalloc and LSan agree.

One tmp project holds samples/leak_direct, leak_indirect and no_bug (their
harness.toml blocks copied), built plain with gcc once. Each method must name
the same allocating function for the sample's own leaks, with the bytes the
sample's source says (jemalloc in its size classes), and see none of no_bug's
own allocations unfreed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import cli
from harness.ledger import run, store
from harness.ledger.model import JEMALLOC, LSAN, LTRACE, METHODS
from harness.project import open_project
from harness.store import open_store
from tests.integration.test_profile import make_stopping
from tests.integration.test_run_modes import PYEXT_TOML

REPO = Path(__file__).resolve().parents[2]
SAMPLES = ("leak_direct", "leak_indirect", "no_bug")
pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")

# What each sample leaks, read from its source and input:
# leak_direct/above_root.txt: normalize() returns early for "/../etc/passwd"
#   without freeing its strdup: 15 bytes.
# leak_indirect/bad_ages.txt: parse_contact() drops two contacts with a bad age
#   after calloc(1, 32) and strdup(name): 2 x 32 direct, "Margaret" 9 +
#   "Katherine" 10 indirect.
LEAKS = {
    ("leak_direct", "above_root.txt"): ({"normalize"}, [15]),
    ("leak_indirect", "bad_ages.txt"): ({"parse_contact"}, [32, 32, 9, 10]),
}


def jemalloc_class(size: int) -> int:
    """jemalloc's small size classes: 8, 16, 32, 48, ... (16 apart up to 128)."""
    return 8 if size <= 8 else -(-size // 16) * 16


@pytest.fixture(scope="module")
def project_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ledger")
    blocks = []
    for name in SAMPLES:
        shutil.copytree(REPO / "samples" / name, root / "samples" / name)
        blocks.append(
            f'[[target]]\nname = "{name}"\nsources = ["samples/{name}/main.c"]\n'
            f'inputs = "samples/{name}/inputs"\n'
        )
    (root / "harness.toml").write_text("\n".join(blocks))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert cli.main(["-C", str(root), "build", "--plain", "--cc", "gcc"]) == 0
    return root


def _method(method: str):
    missing = run.unavailable(method, "gcc", None)
    if missing:
        pytest.skip(f"{method} is not available here: {missing}")
    return method


@pytest.fixture(scope="module", params=METHODS)
def method(request) -> str:
    return _method(request.param)


@pytest.mark.parametrize("sample, given", sorted(LEAKS))
def test_every_method_names_the_samples_leaking_function_and_its_bytes(
    project_root: Path, method: str, sample: str, given: str
):
    functions, sizes = LEAKS[(sample, given)]

    result = run.measure(open_project(str(project_root)), sample, given, via=method, cc="gcc")

    own = result.ledger.own_groups()
    assert {group.function for group in own} == functions, result.ledger
    total = sum(group.bytes for group in own)
    if method == JEMALLOC:
        assert total == sum(jemalloc_class(size) for size in sizes)
    else:
        assert total == sum(sizes)
    assert sum(group.count for group in own) == len(sizes)
    site = own[0].site
    assert site is not None and site.file is not None and site.file.endswith("main.c")


def test_no_bug_leaves_none_of_its_own_blocks_unfreed(project_root: Path, method: str):
    result = run.measure(open_project(str(project_root)), "no_bug", "weather.csv", via=method)

    assert result.ledger.own_groups() == ()
    if method != LSAN:  # the C library's stdio buffer is still allocated at exit
        assert result.ledger.groups and all(not group.own for group in result.ledger.groups)


def test_ltrace_counts_calls_bytes_and_the_peak(project_root: Path):
    _method(LTRACE)

    result = run.measure(
        open_project(str(project_root)), "leak_direct", "several_above_root.txt", via=LTRACE
    )

    ledger = result.ledger
    calls = dict(ledger.calls)
    assert calls["strdup"] == 5 and calls["free"] >= 2
    assert ledger.allocated is not None and ledger.freed is not None and ledger.peak is not None
    assert ledger.allocated - ledger.freed == ledger.unfreed_bytes
    # "/a/../../b" 11, "/../.." 7 and "/x/y/z/../../../.." 19 are never freed.
    assert sum(g.bytes for g in ledger.own_groups()) == 11 + 7 + 19
    assert (result.run_dir / "runs.jsonl").is_file() and result.job.profile == "ltrace"


def test_ltrace_findings_are_stored_beside_the_sanitizer_finding_at_the_same_site(
    project_root: Path,
):
    _method(LTRACE)
    _method(LSAN)
    project = open_project(str(project_root), db=str(project_root / "same-site.db"))
    by_lsan = run.measure(project, "leak_direct", "above_root.txt", via=LSAN)
    by_ltrace = run.measure(project, "leak_direct", "above_root.txt", via=LTRACE)

    with open_store(project.db) as opened:
        first = store.ingest(opened, by_lsan, project.root)
        second = store.ingest(opened, by_ltrace, project.root)
        again = store.ingest(opened, by_ltrace, project.root)
        known = opened.history()

    lsan_id = first.by_group[0]
    ltrace_id = second.by_group[0]
    assert lsan_id and ltrace_id and lsan_id != ltrace_id
    # the same trace again is the same sighting: nothing moves
    assert second.statuses[ltrace_id] == "new" and again.statuses[ltrace_id] == "new"
    titles = {finding.id: finding.title for finding in known}
    assert titles[ltrace_id].startswith("leak (unfreed) in normalize")
    assert titles[lsan_id].startswith("leak (direct) in normalize")
    group = by_ltrace.ledger.own_groups()[0]
    assert store.same_site(group, known) == lsan_id
    # The C library's buffer is in the ledger but not a finding.
    assert None in second.by_group


def test_the_command_picks_the_cheapest_method_and_says_so(project_root: Path, capsys):
    _method(LSAN)

    code = cli.main(["-C", str(project_root), "ledger", "leak_direct", "above_root.txt"])
    shown = capsys.readouterr().out

    assert code == 0
    assert "via lsan (cheapest available method: lsan)" in shown
    assert "only blocks no pointer reaches" in shown
    assert "normalize" in shown and "samples/leak_direct/main.c:13" in shown


def test_json_output(project_root: Path, capsys):
    _method(LTRACE)

    code = cli.main(
        [
            "-C",
            str(project_root),
            "ledger",
            "leak_indirect",
            "bad_ages.txt",
            "--via",
            "ltrace",
            "--format",
            "json",
            "--no-store",
        ]
    )
    data = json.loads(capsys.readouterr().out)

    assert code == 0
    assert data["schema"] == "harness.ledger/1" and data["method"] == "ltrace"
    assert data["calls"]["calloc"] == 3 and data["peak"] > 0
    own = [group for group in data["groups"] if group["own"]]
    assert {g["frames"][0]["function"] for g in own} == {"parse_contact"}
    assert sum(g["bytes"] for g in own) == 83
    assert all(group["finding"] is None for group in data["groups"])


def test_a_missing_plain_build_is_made_first_and_said(tmp_path: Path, capsys):
    _method(LSAN)
    shutil.copytree(REPO / "samples" / "leak_direct", tmp_path / "samples" / "leak_direct")
    (tmp_path / "harness.toml").write_text(
        '[[target]]\nname = "leak_direct"\nsources = ["samples/leak_direct/main.c"]\n'
        'inputs = "samples/leak_direct/inputs"\n'
    )

    code = cli.main(["-C", str(tmp_path), "ledger", "leak_direct", "above_root.txt"])

    assert code == 0
    shown = capsys.readouterr()
    assert "building leak_direct (plain, gcc)" in shown.err
    assert "samples/leak_direct/main.c:13" in shown.out


@pytest.fixture(scope="module")
def allocs_root(tmp_path_factory) -> Path:
    """tests/data/ledger/allocs.cpp as a target, built plain with g++."""
    root = tmp_path_factory.mktemp("allocs")
    shutil.copy(REPO / "tests" / "data" / "ledger" / "allocs.cpp", root / "allocs.cpp")
    (root / "inputs").mkdir()
    (root / "inputs" / "none.txt").write_text("")
    (root / "harness.toml").write_text(
        '[[target]]\nname = "allocs"\nsources = ["allocs.cpp"]\ninputs = "inputs"\n'
    )
    assert cli.main(["-C", str(root), "build", "--plain", "--cc", "gcc"]) == 0
    return root


# allocs.cpp's blocks still allocated at exit, by the allocator called.
ALLOCS_LEAKED = {
    "realloc": 40,
    "memalign/aligned_alloc": 256,
    "strdup": 15,
    "operator new": 32,
    "operator new[]": 77,
}


def test_ltrace_pairs_realloc_chains_aligned_blocks_strdup_and_cxx_operators(allocs_root: Path):
    _method(LTRACE)

    result = run.measure(open_project(str(allocs_root)), "allocs", "none.txt", via=LTRACE)

    ledger = result.ledger
    own = ledger.own_groups()
    assert {group.allocator: group.bytes for group in own} == ALLOCS_LEAKED
    assert all(group.count == 1 for group in own)
    # 16+32+64+128, 10+20+40, 48, 200+256, 12+15+63, 32+100+32+77 allocated;
    # all but the leaked blocks freed; the peak is reached with both aligned blocks.
    assert (ledger.allocated, ledger.freed) == (1145, 1145 - 420)
    assert ledger.peak == 40 + 200 + 256
    calls = dict(ledger.calls)
    assert calls["operator new"] == 2 and calls["operator new[]"] == 2
    assert calls["operator delete (sized)"] == 1 and calls["operator delete[]"] == 1
    assert calls["realloc"] == 7 and calls["malloc"] == 2 and calls["free"] == 4
    assert calls["posix_memalign"] == 1 and calls["strdup"] == 2 and calls["calloc"] == 1


def test_jemalloc_names_realloc_and_operator_new_not_malloc(allocs_root: Path):
    _method(JEMALLOC)

    result = run.measure(open_project(str(allocs_root)), "allocs", "none.txt", via=JEMALLOC)

    allocators = {group.function: set() for group in result.ledger.own_groups()}
    for group in result.ledger.own_groups():
        allocators[group.function].add(group.allocator)
    assert allocators == {
        "realloc_leak()": {"realloc"},
        "aligned()": {"aligned_alloc"},
        "strings()": {"strdup"},
        "cxx()": {"operator new", "operator new[]"},
    }
    calls = dict(result.ledger.calls)
    # realloc(p, 0) frees and allocates nothing: jemalloc counts allocations only.
    assert calls["realloc"] == 6 and calls["operator new"] == 2 and calls["operator new[]"] == 2


@pytest.fixture(scope="module")
def pyext_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pyext-ledger")
    shutil.copytree(REPO / "samples" / "pyext_overflow", root / "samples" / "pyext_overflow")
    (root / "harness.toml").write_text(PYEXT_TOML)
    return root


def test_an_extensions_leak_is_in_its_own_code_under_the_interpreter(pyext_root: Path):
    _method(LSAN)
    assert cli.main(["-C", str(pyext_root), "build", "--plain", "--cc", "gcc"]) == 0

    result = run.measure(
        open_project(str(pyext_root)), "pyext_overflow", "unknown_directive.csv", via=LSAN
    )

    # apply_directive's copy of "#unknown" (9 bytes) is never freed; the
    # interpreter's own blocks at exit are suppressed.
    own = result.ledger.own_groups()
    assert [(g.function, g.bytes, g.leak) for g in own] == [("apply_directive", 9, "direct")]
    assert own[0].location.endswith("csvfield.c:52")
    assert result.job.argv[0] != "python3"  # the real interpreter, not a shim


@pytest.mark.parametrize("command", ["profile", "cost"])
def test_profile_and_cost_say_an_extension_is_no_program(pyext_root: Path, command, capsys):
    code = cli.main(["-C", str(pyext_root), command, "pyext_overflow", "quoted.csv"])

    assert code == 2
    said = capsys.readouterr().err
    assert "is a python-extension target" in said
    assert "harness ledger pyext_overflow INPUT" in said


@pytest.fixture(scope="module")
def stopping_root(tmp_path_factory) -> Path:
    return make_stopping(tmp_path_factory.mktemp("ledger-stopping"))


def test_a_program_killed_at_the_timeout_has_no_ledger_and_says_so(
    stopping_root: Path, method: str, capsys
):
    args = ["-C", str(stopping_root), "ledger", "hangs", "any.txt", "--timeout", "2"]

    code = cli.main([*args, "--via", method])

    assert code == 3
    said = capsys.readouterr().err
    assert "was still running after" in said and "--timeout S" in said


def test_a_crash_leaves_no_lsan_ledger_but_ltrace_keeps_the_live_blocks(
    stopping_root: Path, capsys
):
    _method(LSAN)
    _method(LTRACE)
    args = ["-C", str(stopping_root), "ledger", "crashes", "any.txt", "--via"]

    assert cli.main([*args, "lsan"]) == 3
    said = capsys.readouterr().err
    assert "LeakSanitizer stopped at a null-dereference in main" in said
    assert "--via ltrace" in said

    assert cli.main([*args, "ltrace", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["signal"] == "SIGSEGV"
    own = [group for group in data["groups"] if group["own"]]
    assert [(g["frames"][0]["function"], g["bytes"]) for g in own] == [("fill", 8 * 100000)]
    assert any("died of SIGSEGV" in note for note in data["notes"])
    assert all(group["finding"] is None for group in data["groups"])  # not leaks: not stored
