"""`harness diff OLD NEW`: which findings are new, fixed, regressed or still open
between two commits, from what the store knows about each commit.

A finding is present at a commit when a log bound to that commit showed
it. Present at NEW only: new, or regressed when it had been fixed before it
showed up at NEW. Present at OLD only: fixed when its reproducer ran clean
at NEW enough times; otherwise nothing ran it there, and it is listed as not
re-run (absence from the logs proves nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from harness import vcs
from harness.errors import UsageError
from harness.lifecycle import DEFAULT_CLEAN_RUNS
from harness.store import Store, StoredFinding

if TYPE_CHECKING:
    import git


class Change(Enum):
    NEW = "new"
    REGRESSED = "regressed"
    FIXED = "fixed"
    OPEN = "still open"
    NOT_RERUN = "not re-run"


@dataclass(frozen=True, slots=True)
class DiffView:
    old: vcs.CommitInfo
    new: vcs.CommitInfo
    sections: tuple[tuple[Change, tuple[StoredFinding, ...]], ...]

    def of(self, change: Change) -> tuple[StoredFinding, ...]:
        return dict(self.sections).get(change, ())


def classify(
    present_old: bool,
    present_new: bool,
    fixed_before_new: bool,
    clean_runs_at_new: int,
    threshold: int = DEFAULT_CLEAN_RUNS,
) -> Change | None:
    """The change of one finding between two commits (None: at neither)."""
    if present_new:
        if present_old:
            return Change.OPEN
        return Change.REGRESSED if fixed_before_new else Change.NEW
    if not present_old:
        return None
    return Change.FIXED if clean_runs_at_new >= threshold else Change.NOT_RERUN


def diff(store: Store, root: Path, old: str | None, new: str | None) -> DiffView:
    """Compare two revisions (default: the commits of the last two runs on the
    current branch)."""
    repo = vcs.repository(root)
    old_sha, new_sha = _endpoints(store, repo, old, new)
    seen = store.seen_commits()
    fixed = store.fixed_times()
    sections: dict[Change, list[StoredFinding]] = {change: [] for change in Change}
    for finding in store.history():
        at = seen.get(finding.id, {})
        present_new = new_sha in at
        # fixed before it showed up at NEW: it came back
        earlier_fix = present_new and any(t <= at[new_sha] for t in fixed.get(finding.id, ()))
        cleans = 0 if present_new else store.clean_counts(finding.id).get(new_sha, 0)
        change = classify(old_sha in at, present_new, earlier_fix, cleans)
        if change is not None:
            sections[change].append(finding)
    return DiffView(
        vcs.info(repo, old_sha),
        vcs.info(repo, new_sha),
        tuple((change, tuple(found)) for change, found in sections.items()),
    )


def _endpoints(
    store: Store, repo: git.Repo | None, old: str | None, new: str | None
) -> tuple[str, str]:
    if old is not None and new is not None:
        return _resolve(store, repo, old), _resolve(store, repo, new)
    commits = store.run_commits()
    if repo is not None:
        on_branch = set(vcs.head_history(repo))
        commits = [sha for sha in commits if sha in on_branch]
    if old is not None:
        return _resolve(store, repo, old), commits[0] if commits else _missing()
    if len(commits) < 2:
        _missing()
    return commits[1], commits[0]


def _missing() -> str:
    raise UsageError(
        "diff needs two commits with runs on this branch; give them: harness diff OLD NEW"
    )


def _resolve(store: Store, repo: git.Repo | None, rev: str) -> str:
    if repo is not None:
        return vcs.resolve(repo, rev)
    matches = sorted(sha for sha in store.known_commits() if sha.startswith(rev.lower()))
    if len(matches) != 1:
        how_many = "no" if not matches else "more than one"
        raise UsageError(f"{rev}: {how_many} commit with runs in the store matches it")
    return matches[0]
