"""`harness cost`: slowdown and peak memory of each tool on one program and input."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from harness.commands.base import Loader, notify
from harness.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from harness.cost import CostReport, Row

NAME = "cost"
HELP = "slowdown and peak memory of each tool (ASan, LSan, UBSan, Valgrind, heaptrack)"
FORMATS = ("table", "json")


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    from harness import cost
    from harness.subject import COMPILERS

    parser.add_argument("target", metavar="TARGET")
    parser.add_argument("input", metavar="INPUT", help="a file, or a name in the target's inputs")
    parser.add_argument(
        "--runs", type=int, default=cost.DEFAULT_RUNS, metavar="N", help="runs per tool (median)"
    )
    parser.add_argument("--cc", choices=COMPILERS, help="compiler of the builds (default: gcc)")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds per run, every tool")
    parser.add_argument("--format", choices=FORMATS, default="table")


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness import cost

    if args.runs < 1:
        raise UsageError(f"--runs {args.runs}: give 1 or more")
    project = load()
    report = cost.measure_costs(
        project, args.target, args.input, args.runs, args.cc, args.timeout, notify
    )
    if args.format == "json":
        print(json.dumps(cost.to_json(report, project.root), indent=2))
        return EXIT_OK
    print(_table(report))
    print(f"\nwritten: {cost.report_path(project, report).relative_to(project.root)}")
    return EXIT_OK


def _timeouts(row: Row) -> str:
    if not row.timed_out:
        return ""
    limit = max(run.seconds for run in row.runs if run.timed_out)
    if row.timed_out == len(row.runs):
        return f"timed out (killed after {limit:g} s)"
    return f"{row.timed_out} of {len(row.runs)} runs timed out (left out)"


def _table(report: CostReport) -> str:
    from tabulate import tabulate

    from harness import cost
    from harness.heap_profile import human_bytes

    program = report.subject
    rows = []
    for row in report.rows:
        if row.status != cost.MEASURED:
            rows.append((row.tool, row.status, "", "", "", row.note or ""))
            continue
        slowdown = report.slowdown(row)
        codes = sorted(
            {str(run.exit_code if run.signal is None else run.signal) for run in row.finished}
        )
        rss = row.max_rss_kb
        rows.append(
            (
                row.tool,
                f"{row.seconds:.3f} s" if row.seconds is not None else "-",
                f"{slowdown:.1f}x" if slowdown is not None else "",
                human_bytes(rss * 1024) if rss is not None else "-",
                ", ".join(codes) or "-",
                _timeouts(row),
            )
        )
    title = (
        f"{program.target.name} on {program.input.name} ({report.compiler}), "
        f"median of {report.runs} run(s)"
    )
    headers = ("tool", "wall time", "slowdown", "peak RSS", "exit code", "note")
    return title + "\n" + tabulate(rows, headers=headers)
