"""A cost row's figures: medians of its runs, wall time and peak memory alike."""

from __future__ import annotations

from harness.cost import MEASURED, Row
from harness.probe import Measurement


def run(seconds: float, rss_kb: int | None) -> Measurement:
    return Measurement(seconds, rss_kb, 0, None, False)


def test_peak_memory_is_the_median_of_the_runs_not_the_largest():
    row = Row("asan", MEASURED, runs=(run(0.3, 30_000), run(0.1, 90_000), run(0.2, 20_000)))

    assert row.seconds == 0.2
    assert row.max_rss_kb == 30_000


def test_runs_that_measured_no_memory_are_left_out_of_its_median():
    row = Row("native", MEASURED, runs=(run(0.1, None), run(0.1, 1000), run(0.1, 3000)))

    assert row.max_rss_kb == 2000
    assert Row("native", MEASURED, runs=(run(0.1, None),)).max_rss_kb is None
