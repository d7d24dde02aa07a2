"""`harness bisect FINDING`: the first commit at which a finding appears.

Each commit tried is checked out into a temporary git worktree (never the
user's checkout: their branch, index and uncommitted changes stay as they
are), built with the finding's profile, and made to run the finding's stored
reproducer a few times; the logs are parsed and signed like any triage. A
commit that does not build is skipped, as `git bisect skip` would.

    result = bisect.bisect(project, store, "3fa2c1", good="v1.2", runs=3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness import vcs
from harness.errors import UsageError
from harness.project import Project
from harness.store import Store, utc_now
from harness.store.evidence import Reproducer
from harness.store.tracking import Bisection

if TYPE_CHECKING:
    import git

GOOD, BAD, SKIP = "good", "bad", "skip"
DEFAULT_RUNS = 3
# inputs run at each commit: the first reproducers of the finding
MAX_INPUTS = 3


@dataclass(frozen=True, slots=True)
class Step:
    commit: str
    verdict: str  # good, bad or skip
    detail: str


@dataclass(frozen=True, slots=True)
class Outcome:
    first_bad: str | None
    candidates: tuple[str, ...]  # all the commits it may be, when skips hide it
    steps: tuple[Step, ...]


def search(candidates: Sequence[str], test: Callable[[str], Step]) -> Outcome:
    """Binary search over `candidates` (oldest first, after the good commit; the
    last is known bad) for the first bad one. Pure but for `test`."""
    lo, hi = -1, len(candidates) - 1
    skipped: set[int] = set()
    steps: list[Step] = []
    while hi - lo > 1:
        untried = [i for i in range(lo + 1, hi) if i not in skipped]
        if not untried:
            break
        middle = (lo + hi) // 2
        index = min(untried, key=lambda i: (abs(i - middle), i))
        step = test(candidates[index])
        steps.append(step)
        if step.verdict == BAD:
            hi = index
        elif step.verdict == GOOD:
            lo = index
        else:
            skipped.add(index)
    if hi - lo == 1:
        return Outcome(candidates[hi], (candidates[hi],), tuple(steps))
    return Outcome(None, tuple(candidates[lo + 1 : hi + 1]), tuple(steps))


@dataclass(frozen=True, slots=True)
class Request:
    finding: str
    good: str | None = None
    bad: str | None = None
    runs: int = DEFAULT_RUNS
    cc: str | None = None
    jobs: int = 2


def bisect(
    project: Project,
    store: Store,
    request: Request,
    report: Callable[[Step], None] | None = None,
) -> tuple[str, Bisection]:
    """Find the first bad commit of a finding; records and returns the result
    (with the full finding id). `report` is told each step as it is done."""
    repo = vcs.require_repository(project.root)
    finding = store.resolve(request.finding)
    reps = _reproducers(store, project.root, finding)
    bad = _bad(store, repo, finding, request.bad)
    good = _good(store, repo, finding, bad, request.good)
    candidates = vcs.ancestry_path(repo, good, bad)
    if not candidates:
        raise UsageError(f"--good {good[:12]} is not an ancestor of --bad {bad[:12]}")
    from harness.bisect_probe import Probe

    probe = Probe(project, repo, finding, reps, request.runs, request.cc, request.jobs)

    def test(sha: str) -> Step:
        step = probe.test(sha)
        if report is not None:
            report(step)
        return step

    found = search(candidates, test)
    result = Bisection(
        time=utc_now(),
        good=good,
        bad=bad,
        first_bad=found.first_bad,
        candidates=found.candidates,
        steps=tuple((s.commit, s.verdict, s.detail) for s in found.steps),
    )
    store.record_bisection(finding, result)
    return finding, result


def _reproducers(store: Store, root: Path, finding: str) -> tuple[Reproducer, ...]:
    from harness.reproducers import stored_path
    from harness.store.evidence import NO_INPUT

    reps = [
        rep
        for rep in store.reproducers(finding)
        if rep.sha256 == NO_INPUT or stored_path(root, rep.sha256).is_file()
    ]
    if not reps:
        raise UsageError(
            f"finding {finding} has no stored reproducer (.harness/reproducers/); "
            "triage the logs of a `harness run` that showed it first"
        )
    first = reps[0]
    same = [r for r in reps if (r.target, r.profile) == (first.target, first.profile)]
    return tuple(same[:MAX_INPUTS])


def _bad(store: Store, repo: git.Repo, finding: str, given: str | None) -> str:
    if given is not None:
        return vcs.resolve(repo, given)
    first = store.detail(finding).finding.first_commit
    if first is None:
        raise UsageError(f"finding {finding} has no first-seen commit; give --bad REV")
    return vcs.resolve(repo, first)


def _good(store: Store, repo: git.Repo, finding: str, bad: str, given: str | None) -> str:
    if given is not None:
        return vcs.resolve(repo, given)
    clean = [
        commit
        for _, commit in reversed(store.clean_commits(finding))
        if commit != bad and vcs.is_ancestor(repo, commit, bad)
    ]
    if not clean:
        raise UsageError(
            f"no commit before {bad[:12]} is known to run finding {finding}'s reproducer "
            "without it; give --good REV (a commit without the bug)"
        )
    return clean[0]


__all__ = ["BAD", "GOOD", "SKIP", "Bisection", "Outcome", "Request", "Step", "bisect", "search"]
