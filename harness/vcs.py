"""Git through GitPython: the commit a run or triage is bound to."""

from __future__ import annotations

from pathlib import Path

from harness.model import Commit


def current_commit(path: Path) -> Commit:
    """The commit checked out at `path`; no commit outside a repository."""
    try:
        import git
    except ImportError:  # git executable missing makes GitPython fail at import
        return Commit(None, None, False)
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return Commit(None, None, False)
    try:
        sha = repo.head.commit.hexsha
    except ValueError:  # a repository with no commit yet
        return Commit(None, None, repo.is_dirty(untracked_files=False))
    try:
        branch: str | None = repo.active_branch.name
    except TypeError:  # detached HEAD
        branch = None
    return Commit(sha, branch, repo.is_dirty(untracked_files=False))
