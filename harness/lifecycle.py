"""The lifecycle of a finding across commits, as a pure function of evidence.

- new: first seen;
- open: seen again;
- fixed: a run at a commit where the finding was never seen, later than
  its last sighting, executed one of its reproducers (same target, profile
  and input) `threshold` times and the finding did not appear. Absence from
  a pile of logs is no evidence: only executions of a reproducer count, and
  the repeats of one run or several runs at one commit count together; runs
  of a tree with uncommitted changes do not count (the store never hands
  them in as Clean);
- regressed: seen again in a run that started after the fix.

Times are the start times of the runs that produced the evidence (ISO
strings, which sort), so logs triaged late or twice change nothing they
should not: a sighting older than the fix does not reopen it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

NEW, OPEN, FIXED, REGRESSED, MUTED = "new", "open", "fixed", "regressed", "muted"
ACTIVE = (NEW, OPEN, REGRESSED)
DEFAULT_CLEAN_RUNS = 3


@dataclass(frozen=True, slots=True)
class Seen:
    """The finding appeared in a run that started at `time`, at `commit`."""

    time: str
    commit: str | None


@dataclass(frozen=True, slots=True)
class Clean:
    """A job executed one of the finding's reproducers to its end and the
    finding did not appear."""

    time: str
    commit: str


@dataclass(frozen=True, slots=True)
class State:
    """What the lifecycle remembers about one finding (status never `muted`:
    muting hides the status, it does not stop it moving)."""

    status: str | None = None
    seen_time: str | None = None
    fixed_time: str | None = None
    fixed_commit: str | None = None
    seen_commits: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Change:
    old: str | None
    new: str
    commit: str | None
    time: str
    note: str | None = None


def evolve(
    state: State,
    sightings: Iterable[Seen],
    cleans: Iterable[Clean],
    threshold: int = DEFAULT_CLEAN_RUNS,
) -> tuple[State, tuple[Change, ...]]:
    """Fold one ingestion's evidence, oldest first, into the state.

    A commit where the finding shows up in this ingestion is never taken as
    a fixing commit, whatever order its runs come in: a flaky reproducer
    that crashed once at a commit is not fixed there.
    """
    seen = sorted(sightings, key=lambda s: s.time)
    crashed_at = state.seen_commits | {s.commit for s in seen if s.commit}
    state = replace(state, seen_commits=crashed_at)
    events: list[tuple[str, int, Seen | Clean]] = [(s.time, 0, s) for s in seen]
    events += [(c.time, 1, c) for c in cleans]
    changes: list[Change] = []
    counts: dict[str, int] = {}
    for _, _, item in sorted(events, key=lambda e: (e[0], e[1])):
        before = state.status
        if isinstance(item, Seen):
            state = _seen(state, item, changes)
            counts.clear()
        else:
            state = _clean(state, item, counts, threshold)
        if state.status != before and state.status is not None:
            note = None
            if state.status == FIXED:
                note = f"reproducer ran {threshold} times at this commit without it"
            changes.append(Change(before, state.status, item.commit, item.time, note))
    return state, tuple(changes)


def _seen(state: State, seen: Seen, changes: Sequence[Change]) -> State:
    later = state.seen_time is None or seen.time > state.seen_time
    moved = replace(state, seen_time=seen.time if later else state.seen_time)
    status = state.status
    if status is None:
        return replace(moved, status=NEW)
    if status == FIXED:
        after_fix = state.fixed_time is None or seen.time > state.fixed_time
        return replace(moved, status=REGRESSED) if after_fix else moved
    # new and regressed are the news of the ingestion that found them
    if status in (NEW, REGRESSED) and any(c.new == status for c in changes):
        return moved
    return replace(moved, status=OPEN)


def _clean(state: State, clean: Clean, counts: dict[str, int], threshold: int) -> State:
    if state.status not in ACTIVE or clean.commit in state.seen_commits:
        return state
    if state.seen_time is not None and clean.time <= state.seen_time:
        return state
    counts[clean.commit] = counts.get(clean.commit, 0) + 1
    if counts[clean.commit] < threshold:
        return state
    return replace(state, status=FIXED, fixed_time=clean.time, fixed_commit=clean.commit)


def shown_status(status: str, muted: bool) -> str:
    return MUTED if muted else status
