"""A cost row's figures: medians of its runs, wall time and peak memory alike."""

from __future__ import annotations

from harness import cost
from harness.commands import cost as cost_command
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


def killed(limit: float) -> Measurement:
    return Measurement(limit, None, None, None, True)


def test_runs_killed_at_the_timeout_are_left_out_of_the_medians():
    some = Row("memcheck", MEASURED, runs=(run(0.4, 5000), killed(2.0), run(0.6, 7000)))
    every = Row("memcheck", MEASURED, runs=(killed(2.0), killed(2.0)))

    assert (some.seconds, some.max_rss_kb, some.timed_out) == (0.5, 6000, 1)
    assert (every.seconds, every.max_rss_kb, every.timed_out) == (None, None, 2)
    assert cost_command._timeouts(some) == "1 of 3 runs timed out (left out)"
    assert cost_command._timeouts(every) == "timed out (killed after 2 s)"


def test_a_tools_run_carries_the_programs_exit_where_the_tool_knows_it(tmp_path):
    (tmp_path / "ltrace.txt").write_text(
        "9 [0x1000] malloc@libc.so.6(16) = 0x2000\n"
        "9 [0xffffffffffffffff] +++ killed by SIGSEGV +++\n"
    )
    ltrace_tool = next(tool for tool in cost.TOOLS if tool.name == "ltrace")
    native = next(tool for tool in cost.TOOLS if tool.name == "native")

    seen = cost._program_exit(ltrace_tool, tmp_path, run(0.1, 1000))

    assert (seen.exit_code, seen.signal) == (None, "SIGSEGV")
    assert cost._program_exit(native, tmp_path, run(0.1, 1000)) == run(0.1, 1000)
    assert cost._program_exit(ltrace_tool, tmp_path, killed(2.0)) == killed(2.0)
