"""vcs.current_commit on real repositories: the commit, branch and dirty flag
every run and triage is bound to, asked of git without GitPython."""

from __future__ import annotations

from pathlib import Path

import git

from harness.model import Commit
from harness.vcs import current_commit, parse_status


def _repo(path: Path) -> tuple[git.Repo, str]:
    repo = git.Repo.init(path, initial_branch="main")
    (path / "README").write_text("one\n")
    repo.index.add(["README"])
    return repo, repo.index.commit("first").hexsha


def test_a_clean_checkout_names_its_commit_and_branch(tmp_path: Path) -> None:
    _, sha = _repo(tmp_path)
    (tmp_path / "untracked.txt").write_text("not part of the tree\n")
    assert current_commit(tmp_path) == Commit(sha, "main", False)


def test_changed_files_staged_or_not_make_it_dirty(tmp_path: Path) -> None:
    repo, sha = _repo(tmp_path)
    (tmp_path / "README").write_text("changed\n")
    assert current_commit(tmp_path) == Commit(sha, "main", True)
    repo.index.add(["README"])
    assert current_commit(tmp_path) == Commit(sha, "main", True)


def test_a_subfolder_and_a_detached_head(tmp_path: Path) -> None:
    repo, sha = _repo(tmp_path)
    repo.git.checkout("--detach", "HEAD")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    assert current_commit(tmp_path / "deep" / "er") == Commit(sha, None, False)


def test_no_commit_yet_and_no_repository(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "empty")
    (tmp_path / "empty" / "a").write_text("a\n")
    assert current_commit(tmp_path / "empty") == Commit(None, None, False)
    repo.index.add(["a"])
    assert current_commit(tmp_path / "empty") == Commit(None, None, True)
    (tmp_path / "plain").mkdir()
    assert current_commit(tmp_path / "plain") == Commit(None, None, False)


def test_status_lines_that_are_not_headers_are_changes() -> None:
    porcelain = "# branch.oid abc\n# branch.head main\n# branch.ab +0 -0\nu N... a\n"
    assert parse_status(porcelain) == Commit("abc", "main", True)
    detached = "# branch.oid abc\n# branch.head (detached)\n"
    assert parse_status(detached) == Commit("abc", None, False)
