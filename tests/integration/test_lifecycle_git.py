"""Findings across commits in real git repositories: build, run and triage at
each commit through the CLI, then history, diff, bisect, mute and fix claims.

The main repository has six commits: a heap overflow comes in at commit 3,
is fixed at commit 5 and comes back at commit 6.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import git
import pytest

from harness.cli import main
from harness.store import open_store

pytestmark = pytest.mark.skipif(not shutil.which("gcc"), reason="gcc is not installed")

PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
@EXTRA@
char *volatile sink;
__attribute__((noinline)) static void parse(const char *data, size_t n) {
    char *buf = malloc(8);
    size_t limit = @LIMIT@;
    for (size_t i = 0; i < limit; i++) buf[i] = data[i];
    sink = buf;
    free(buf);
}
int main(int argc, char **argv) {
    char data[64] = {0};
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
    if (!f) return 2;
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    parse(data, n);
    return 0;
}
"""
SAFE, BUGGY = "n < 8 ? n : 8", "n"
CONFIG = """
[project]
cc = "gcc"
[[target]]
name = "prog"
sources = ["prog.c"]
inputs = "inputs"
args = ["{input}"]
"""
IGNORED = "build/\nlogs/\n.harness/\n"
# (limit, extra lines, subject)
COMMITS = [
    (SAFE, "", "Initial parser"),
    (SAFE, "/* version 2 */", "Document the version"),
    (BUGGY, "/* version 2 */", "Copy the whole input"),
    (BUGGY, "/* version 2 */\n/* tidied */\n", "Tidy up"),
    (SAFE, "/* version 2 */\n/* tidied */\n", "Bound the copy again"),
    (BUGGY, "/* version 2 */\n/* tidied */\n", "Copy the whole input again"),
]


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["-C", str(root), *args])
    return code, out.getvalue(), err.getvalue()


def ok(root: Path, *args: str) -> str:
    code, out, err = cli(root, *args)
    assert code == 0, (args, out, err)
    return out


def runs(root: Path) -> set[str]:
    folder = root / "logs"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def run_new(root: Path, *run_args: str) -> str:
    """`harness run`; the run's folder (run ids of one second do not sort by time)."""
    before = runs(root)
    ok(root, "run", *run_args)
    (made,) = runs(root) - before
    return f"logs/{made}"


def build_run_triage(root: Path, *run_args: str) -> tuple[dict, str, str]:
    ok(root, "build", "--asan", "-j", "2")
    run = run_new(root, "-j", "2", *run_args)
    code, out, err = cli(root, "triage", run, "--format", "json")
    assert code == 0, err
    return json.loads(out), err, run


def commit(repo: git.Repo, files: dict[str, str], message: str) -> str:
    root = Path(repo.working_dir)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    repo.index.add(list(files))
    return repo.index.commit(message).hexsha


def status_of(root: Path, finding: str) -> str:
    with open_store(root / ".harness" / "findings.db") as store:
        return {f.id: f.status for f in store.history()}[finding]


@dataclass
class Story:
    root: Path
    repo: git.Repo
    shas: list[str] = field(default_factory=list)
    docs: list[dict] = field(default_factory=list)
    errs: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    finding: str = ""


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    root = tmp_path_factory.mktemp("life")
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Ada Tester")
        config.set_value("user", "email", "ada@example.com")
    told = Story(root, repo)
    base = {
        "harness.toml": CONFIG,
        ".gitignore": IGNORED,
        "inputs/short.txt": "abc",
        "inputs/long.txt": "0123456789abcdef",
    }
    for number, (limit, extra, subject) in enumerate(COMMITS, start=1):
        source = PROGRAM.replace("@LIMIT@", limit).replace("@EXTRA@", extra)
        message = subject
        if number == 4:  # claims a fix it does not make
            message += f"\n\nFixes-finding: {told.finding[:8]}\n"
        files = {"prog.c": source, **(base if number == 1 else {})}
        told.shas.append(commit(repo, files, message))
        run_args = ("--reproducers",) if number == 5 else ("--repeat", "3")
        doc, err, run = build_run_triage(root, *run_args)
        told.runs.append(run)
        told.docs.append(doc)
        told.errs.append(err)
        if number == 3:
            told.finding = doc["findings"][0]["id"]
    return told


def test_statuses_come_at_the_right_commits(story: Story) -> None:
    docs = story.docs
    assert docs[0]["findings"] == [] and docs[1]["findings"] == []
    (c3,) = docs[2]["findings"]
    assert c3["title"] == "heap-buffer-overflow WRITE in parse ‹ main"
    assert (c3["status"], c3["count"]) == ("new", 3)
    assert [f["status"] for f in docs[3]["findings"]] == ["open"]
    assert docs[4]["findings"] == []  # a clean run shows nothing ...
    assert [f["status"] for f in docs[5]["findings"]] == ["regressed"]
    out = ok(story.root, "history", story.finding)
    changes = [line.split()[0] for line in out.splitlines() if line[:7] in _sha7s(story)]
    assert changes == [sha[:7] for sha in story.shas[2:6]]
    for status in ("new", "new → open", "open → fixed", "fixed → regressed"):
        assert status in out
    assert "Bound the copy again" in out


def _sha7s(story: Story) -> set[str]:
    return {sha[:7] for sha in story.shas}


def test_reproducers_are_kept_and_rerun_from_the_store(story: Story) -> None:
    at_c5 = [
        json.loads(line)
        for line in (story.root / story.runs[4] / "runs.jsonl").read_text().splitlines()
    ]
    assert len(at_c5) == 3  # --reproducers: the one reproducer, 3 times by default
    sha = at_c5[0]["input_sha256"]
    assert {job["input"] for job in at_c5} == {f".harness/reproducers/{sha}"}
    assert (story.root / ".harness" / "reproducers" / sha).read_text() == "0123456789abcdef"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (1, 2, {}),
        (2, 3, {"new": "F"}),
        (3, 4, {"open": "F"}),
        (4, 5, {"fixed": "F"}),
        (5, 6, {"regressed": "F"}),
        (2, 6, {"regressed": "F"}),
        (3, 6, {"open": "F"}),
    ],
)
def test_diff_between_commits(story: Story, old: int, new: int, expected: dict[str, str]) -> None:
    out = ok(story.root, "diff", story.shas[old - 1], story.shas[new - 1], "--format", "json")
    doc = json.loads(out)
    assert doc["schema"] == "harness.diff/2"
    # both commits, apart from the lists of findings (one is called "new")
    assert doc["old_commit"]["sha"] == story.shas[old - 1]
    assert doc["new_commit"]["sha"] == story.shas[new - 1]
    found = {key: [f["id"] for f in doc[key]] for key in ("new", "fixed", "regressed", "open")}
    want = {key: [story.finding] if key in expected else [] for key in found}
    assert found == want


def test_diff_defaults_to_the_last_two_runs_and_writes_markdown(story: Story) -> None:
    out = ok(story.root, "diff", "--format", "md")
    assert f"`{story.shas[4][:7]}` to `{story.shas[5][:7]}`" in out
    assert "### Regressed" in out and story.finding in out


def test_a_claimed_fix_that_still_reproduces_is_reported(story: Story) -> None:
    assert story.errs[2] == ""
    assert f"claimed fixed in {story.shas[3][:7]} but still reproduces" in story.errs[3]
    assert story.docs[3]["findings"][0]["claimed_fixed"] == story.shas[3]
    assert story.docs[2]["findings"][0]["claimed_fixed"] is None


def _git_state(repo: git.Repo) -> tuple[str, ...]:
    return (
        repo.git.status("--porcelain"),
        repo.git.diff(),
        repo.git.diff("--cached"),
        repo.head.commit.hexsha,
        repo.active_branch.name,
        repo.git.worktree("list"),
    )


def test_bisect_names_commit_3_and_leaves_the_checkout_alone(story: Story) -> None:
    root, repo = story.root, story.repo
    (root / "prog.c").write_text((root / "prog.c").read_text() + "/* work in progress */\n")
    (root / "inputs" / "short.txt").write_text("abcd")
    repo.index.add(["inputs/short.txt"])
    before = _git_state(repo)
    try:
        out = ok(root, "bisect", story.finding[:6], "--good", story.shas[0], "--bad", story.shas[3])
        assert f"first bad commit: {story.shas[2]}" in out
        assert "Ada Tester" in out and "Copy the whole input" in out
        assert _git_state(repo) == before
        # defaults: bad is where it was first seen, good the last clean run before it
        out = ok(root, "bisect", story.finding)
        assert f"good {story.shas[1][:7]}, bad {story.shas[2][:7]}" in out
        assert f"first bad commit: {story.shas[2]}" in out
        assert _git_state(repo) == before
        shown = ok(root, "show", story.finding)
        assert "first bad commit (bisect" in shown and story.shas[2][:7] in shown
    finally:
        repo.git.reset("--hard")


FLAKY = r"""
#include <stdio.h>
#include <stdlib.h>
@EXTRA@
char *volatile sink;
static int next_count(void) {
    const char *path = getenv("FLAKY_COUNTER");
    int n = 0;
    FILE *f = path ? fopen(path, "r") : NULL;
    if (f) { if (fscanf(f, "%d", &n) != 1) n = 0; fclose(f); }
    f = path ? fopen(path, "w") : NULL;
    if (f) { fprintf(f, "%d\n", n + 1); fclose(f); }
    return n + 1;
}
__attribute__((noinline)) static void work(int n) {
    char *buf = malloc(4);
    int limit = @LIMIT@;
    for (int i = 0; i < limit; i++) buf[i] = 'x';
    sink = buf;
    free(buf);
}
int main(void) { work(next_count()); return 0; }
"""
FLAKY_CONFIG = """
[[target]]
name = "flaky"
sources = ["flaky.c"]
env = {{ FLAKY_COUNTER = "{counter}" }}
"""
# crashes on every third run, counted in a file
EVERY_THIRD = "n % 3 == 0 ? 5 : 4"


def flaky_step(root: Path, repo: git.Repo, limit: str, extra: str, repeats: list[int]) -> list:
    """Commit, build, then one run + triage per entry of `repeats` (jobs one at a
    time: the counter file is shared)."""
    source = FLAKY.replace("@LIMIT@", limit).replace("@EXTRA@", extra)
    commit(repo, {"flaky.c": source}, f"flaky: {extra or 'start'}")
    ok(root, "build", "--asan", "-j", "2")
    results = []
    for repeat in repeats:
        run = run_new(root, "-j", "1", "--repeat", str(repeat))
        results.append(cli(root, "triage", run, "--format", "json", "--fail-on", "new"))
    return results


def test_a_flaky_reproducer_is_fixed_only_by_clean_runs_and_muting_hides_it(
    tmp_path: Path,
) -> None:
    root = tmp_path / "flaky"
    repo = git.Repo.init(root, initial_branch="main", mkdir=True)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Ada Tester")
        config.set_value("user", "email", "ada@example.com")
    counter = tmp_path / "counter"
    commit(repo, {"harness.toml": FLAKY_CONFIG.format(counter=counter), ".gitignore": IGNORED}, "c")
    # A: runs 1, 2, 3; the third crashes
    ((code, out, _),) = flaky_step(root, repo, EVERY_THIRD, "", [3])
    (finding,) = json.loads(out)["findings"]
    assert (code, finding["status"]) == (1, "new")
    fid = finding["id"]
    # B: run 4 is clean: one clean run after a crash proves nothing
    ((code, out, _),) = flaky_step(root, repo, EVERY_THIRD, "/* b */", [1])
    assert (code, json.loads(out)["findings"], status_of(root, fid)) == (0, [], "new")
    # ... then runs 5, 6, 7 at B: 6 crashes, so B can never be a fixing commit
    run = run_new(root, "-j", "1", "--repeat", "3")
    out = ok(root, "triage", run, "--format", "json")
    assert [f["status"] for f in json.loads(out)["findings"]] == ["open"]
    assert status_of(root, fid) == "open"
    # C fixes it: one clean run, still open; two more in another run make three: fixed
    flaky_step(root, repo, "4", "/* c */", [1])
    assert status_of(root, fid) == "open"
    ok(root, "triage", run_new(root, "-j", "1", "--reproducers", "--repeat", "2"))
    assert status_of(root, fid) == "fixed"
    # muted, it comes back at D: regressed underneath, shown muted, not gating
    assert ok(root, "mute", fid[:6], "--reason", "known, tracked in #12").strip() == f"{fid}: muted"
    ((code, out, _),) = flaky_step(root, repo, EVERY_THIRD, "/* d */", [3])
    assert (code, [f["status"] for f in json.loads(out)["findings"]]) == (0, ["muted"])
    assert "muted: known, tracked in #12" in ok(root, "show", fid)
    assert ok(root, "mute", fid, "--unmute").strip() == f"{fid}: regressed"
    assert "fixed → regressed (muted)" in ok(root, "history", fid)


def test_a_fix_only_in_uncommitted_changes_fixes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "dirty"
    repo = git.Repo.init(root, initial_branch="main", mkdir=True)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Ada Tester")
        config.set_value("user", "email", "ada@example.com")
    buggy = PROGRAM.replace("@LIMIT@", BUGGY).replace("@EXTRA@", "")
    base = {"harness.toml": CONFIG, ".gitignore": IGNORED, "inputs/long.txt": "0123456789abcdef"}
    commit(repo, {"prog.c": buggy, **base}, "Copy the whole input")
    doc, _, _ = build_run_triage(root)
    fid = doc["findings"][0]["id"]
    # the next commit still has the bug; the fix lies only in the working tree
    commit(repo, {"prog.c": buggy + "/* tidied */\n"}, "Tidy up")
    safe = PROGRAM.replace("@LIMIT@", SAFE).replace("@EXTRA@", "/* tidied */")
    (root / "prog.c").write_text(safe)
    doc, _, run = build_run_triage(root, "--repeat", "3")
    jobs = [json.loads(line) for line in (root / run / "runs.jsonl").read_text().splitlines()]
    assert doc["findings"] == [] and [job["dirty"] for job in jobs] == [True] * 3
    assert status_of(root, fid) == "new"
    # committed, the same fix is one
    fixed = commit(repo, {"prog.c": safe}, "Bound the copy")
    build_run_triage(root, "--repeat", "3")
    assert status_of(root, fid) == "fixed"
    assert f"fixed in: {fixed[:7]}" in ok(root, "history", fid)
