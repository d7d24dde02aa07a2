"""Git: the commit a run or triage is bound to (asked of git directly),
commit history and ancestry, and temporary worktrees for bisecting (through
GitPython).

GitPython is imported inside the functions: it starts the git executable
and costs time at import, which commands that never touch git should not pay.
current_commit, which every run and triage calls, does without it: one
`git status` costs less than importing GitPython.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness import proc
from harness.errors import ToolError, UsageError
from harness.model import Commit

if TYPE_CHECKING:
    import git


def current_commit(path: Path) -> Commit:
    """The commit checked out at `path` (dirty: tracked files changed, staged
    or not); no commit outside a repository or without git."""
    argv = ("git", "--no-optional-locks", "status", "--porcelain=v2", "--branch")
    try:
        done = proc.run((*argv, "--untracked-files=no"), cwd=path, check=False, what="git")
    except ToolError:  # git missing
        return Commit(None, None, False)
    if done.returncode != 0:  # not a repository
        return Commit(None, None, False)
    return parse_status(done.stdout)


def parse_status(porcelain: str) -> Commit:
    """The Commit `git status --porcelain=v2 --branch` describes: its header
    lines name HEAD's commit and branch, every other line a changed file."""
    sha: str | None = None
    branch: str | None = None
    dirty = False
    for line in porcelain.splitlines():
        if line.startswith("# branch.oid "):
            oid = line.removeprefix("# branch.oid ")
            sha = oid if oid != "(initial)" else None  # no commit yet
        elif line.startswith("# branch.head "):
            head = line.removeprefix("# branch.head ")
            branch = head if head != "(detached)" else None
        elif line and not line.startswith("#"):
            dirty = True
    return Commit(sha, branch if sha is not None else None, dirty)


# -- history, ancestry and worktrees (findings across commits) -------------

# How far back a scan of commit messages goes the first time.
SCAN_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class CommitInfo:
    sha: str
    author: str
    date: str  # ISO 8601, the author date
    subject: str

    @property
    def sha7(self) -> str:
        return self.sha[:7]


def repository(path: Path) -> git.Repo | None:
    """The repository `path` lies in, or None (not a repository, or git missing)."""
    try:
        import git
    except ImportError:
        return None
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def require_repository(path: Path) -> git.Repo:
    repo = repository(path)
    if repo is None:
        raise UsageError(f"{path} is not in a git repository; this command needs one")
    return repo


def resolve(repo: git.Repo, rev: str) -> str:
    """The full sha `rev` names (a sha, prefix, branch, tag, HEAD~2, ...)."""
    import git

    try:
        return str(repo.commit(rev).hexsha)
    except (git.BadName, ValueError, git.GitCommandError) as exc:
        raise UsageError(f"{rev}: no such commit in {repo.working_dir} ({exc})") from None


def info(repo: git.Repo | None, sha: str) -> CommitInfo:
    """Author, date and subject of a commit; only the sha when the repository
    does not hold it (a run made in another clone) or there is none."""
    if repo is None:
        return CommitInfo(sha, "", "", "")
    import git

    try:
        commit = repo.commit(sha)
    except (git.BadName, ValueError, git.GitCommandError):
        return CommitInfo(sha, "", "", "")
    message = str(commit.message).strip()
    subject = message.splitlines()[0] if message else ""
    date = commit.authored_datetime.isoformat()
    return CommitInfo(commit.hexsha, str(commit.author.name), date, subject)


def is_ancestor(repo: git.Repo, older: str, newer: str) -> bool:
    """Is `older` an ancestor of `newer` (or the same commit)?"""
    import git

    try:
        repo.git.merge_base("--is-ancestor", older, newer)
    except git.GitCommandError:  # exit 1: not an ancestor; 128: unknown commit
        return False
    return True


def messages(repo: git.Repo, head: str, since: str | None) -> list[tuple[str, str]]:
    """(sha, message) of the commits reachable from `head` but not from `since`."""
    import git

    revs = head if since is None else f"{since}..{head}"
    try:
        commits = list(repo.iter_commits(revs, max_count=SCAN_LIMIT))
    except git.GitCommandError:  # `since` is gone (rewritten history): scan from the start
        commits = list(repo.iter_commits(head, max_count=SCAN_LIMIT))
    return [(c.hexsha, str(c.message)) for c in commits]


def ancestry_path(repo: git.Repo, good: str, bad: str) -> list[str]:
    """Commits after `good` up to `bad` on the paths between them, oldest first."""
    out = repo.git.rev_list("--ancestry-path", "--reverse", f"{good}..{bad}")
    return [line for line in str(out).splitlines() if line]


def head_history(repo: git.Repo, limit: int = SCAN_LIMIT) -> list[str]:
    """HEAD and its ancestors, newest first."""
    try:
        return [c.hexsha for c in repo.iter_commits("HEAD", max_count=limit)]
    except ValueError:  # no commit yet
        return []


@contextmanager
def worktree(repo: git.Repo, sha: str) -> Iterator[Path]:
    """A detached checkout of `sha` in a temporary folder, removed afterwards
    (also on error or Ctrl-C). The user's checkout, branch and index are
    never touched: a worktree has its own HEAD and index."""
    import git

    parent = Path(tempfile.mkdtemp(prefix="harness-worktree-"))
    folder = parent / sha[:12]
    try:
        repo.git.worktree("add", "--detach", str(folder), sha)
        yield folder
    finally:
        try:
            repo.git.worktree("remove", "--force", str(folder))
        except git.GitCommandError:
            pass  # never added, or half added: the folder goes below and prune forgets it
        shutil.rmtree(parent, ignore_errors=True)
        repo.git.worktree("prune")
