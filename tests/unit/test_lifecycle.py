"""The pure parts of findings across commits: lifecycle rules, fix claims,
the bisection search and the diff classification."""

from __future__ import annotations

from harness.bisect import BAD, GOOD, SKIP, Step, search
from harness.claims import parse
from harness.diff import Change, classify
from harness.lifecycle import FIXED, NEW, OPEN, REGRESSED, Clean, Seen, State, evolve


def t(n: int) -> str:
    return f"2026-01-01T00:00:{n:02d}Z/"


def test_first_sighting_is_new_and_a_second_one_open() -> None:
    state, changes = evolve(State(), [Seen(t(1), "c1"), Seen(t(2), "c2")], [])
    assert state.status == NEW
    assert [(c.old, c.new, c.commit) for c in changes] == [(None, NEW, "c1")]
    state, changes = evolve(state, [Seen(t(3), "c3")], [])
    assert (state.status, [(c.old, c.new) for c in changes]) == (OPEN, [(NEW, OPEN)])


def test_clean_runs_below_the_threshold_change_nothing() -> None:
    state, _ = evolve(State(), [Seen(t(1), "a")], [])
    state, changes = evolve(state, [], [Clean(t(2), "b"), Clean(t(3), "b")], threshold=3)
    assert state.status == NEW and changes == ()


def test_three_clean_runs_at_a_later_commit_fix_it_even_across_runs() -> None:
    state, _ = evolve(State(), [Seen(t(1), "a")], [])
    state, _ = evolve(state, [], [Clean(t(2), "b")])
    state, changes = evolve(state, [], [Clean(t(2), "b"), Clean(t(3), "b"), Clean(t(4), "b")])
    assert state.status == FIXED and state.fixed_commit == "b"
    assert [(c.old, c.new, c.commit) for c in changes] == [(NEW, FIXED, "b")]


def test_clean_runs_at_a_commit_where_it_crashed_are_no_evidence() -> None:
    # a flaky reproducer: crashed once at b, then ran clean three times at b
    state, _ = evolve(State(), [Seen(t(1), "a")], [])
    cleans = [Clean(t(n), "b") for n in (2, 3, 5, 6)]
    state, _ = evolve(state, [Seen(t(4), "b")], cleans)
    assert state.status == OPEN


def test_clean_runs_older_than_the_last_sighting_do_not_count() -> None:
    state, _ = evolve(State(), [Seen(t(5), "c3")], [Clean(t(n), "c1") for n in (1, 2, 3)])
    assert state.status == NEW


def test_seen_after_the_fix_is_regressed_but_old_logs_do_not_reopen() -> None:
    state, _ = evolve(State(), [Seen(t(1), "a")], [Clean(t(n), "b") for n in (2, 3, 4)])
    assert state.status == FIXED
    old_logs, changes = evolve(state, [Seen(t(1), "a")], [])
    assert old_logs.status == FIXED and changes == ()
    back, changes = evolve(state, [Seen(t(9), "c")], [])
    assert back.status == REGRESSED
    assert [(c.old, c.new, c.commit) for c in changes] == [(FIXED, REGRESSED, "c")]
    again, _ = evolve(back, [Seen(t(10), "d")], [])
    assert again.status == OPEN


def test_claims_are_read_from_commit_messages() -> None:
    message = "Bound the copy\n\nFixes-finding: 3FA2C1D0\nfixes-finding:abcd\nFixes: #12\n"
    assert parse(message) == ("3fa2c1d0", "abcd")
    assert parse("Fixes-finding: abc") == ()  # too short to name one finding


def _tester(first_bad: int, skip: set[int], names: list[str]):
    tried: list[str] = []

    def test(sha: str) -> Step:
        tried.append(sha)
        index = names.index(sha)
        if index in skip:
            return Step(sha, SKIP, "does not build")
        return Step(sha, BAD if index >= first_bad else GOOD, "")

    return test, tried


def test_search_finds_the_first_bad_commit() -> None:
    names = [f"c{i}" for i in range(10)]
    for first in range(10):
        test, tried = _tester(first, set(), names)
        outcome = search(names, test)
        assert outcome.first_bad == names[first]
        assert len(tried) <= 4


def test_search_steps_around_commits_that_do_not_build() -> None:
    names = [f"c{i}" for i in range(8)]
    test, tried = _tester(5, {3, 6}, names)
    assert search(names, test).first_bad == "c5"
    assert "c3" in tried  # skipped, and a neighbour tried instead
    # c3 and c4 cannot be built: the first bad one is any of c3, c4, c5
    test, _ = _tester(5, {3, 4}, names)
    outcome = search(names, test)
    assert outcome.first_bad is None and outcome.candidates == ("c3", "c4", "c5")


def test_diff_classification() -> None:
    assert classify(False, True, False, 0) is Change.NEW
    assert classify(False, True, True, 0) is Change.REGRESSED
    assert classify(True, True, False, 0) is Change.OPEN
    assert classify(True, False, False, 3) is Change.FIXED
    assert classify(True, False, False, 1) is Change.NOT_RERUN
    assert classify(False, False, True, 5) is None
