"""`harness run`: every input of every target on its built binary, into logs/<run-id>/."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from tabulate import tabulate

from harness import launch, run_modes, runner
from harness.commands.base import Loader
from harness.model import Job
from harness.run_plan import DEFAULT_PROFILE, plan, relative

NAME = "run"
HELP = "run every target on its inputs, sanitizer logs into logs/<run-id>/"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        help=f"sanitizer profile the targets were built with (default: {DEFAULT_PROFILE})",
    )
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument(
        "--valgrind",
        action="store_true",
        help="run the plain build under Valgrind memcheck (XML logs; timeouts "
        f"x{run_modes.VALGRIND_SLOWDOWN:g}; recorded as profile {run_modes.MEMCHECK_PROFILE})",
    )
    modes.add_argument(
        "--leaks",
        action="store_true",
        help="run the plain build with the LeakSanitizer runtime preloaded "
        f"(recorded as profile {run_modes.LEAKS_PROFILE})",
    )
    parser.add_argument("--cc", help="gcc or clang (default: [project] cc, else what is built)")
    parser.add_argument("-j", "--jobs", type=_positive_int, help="jobs at once (default: cores)")
    parser.add_argument(
        "--timeout", type=_positive_float, metavar="S", help="seconds per job, for every target"
    )
    parser.add_argument(
        "--repeat", type=_positive_int, default=1, metavar="N", help="runs of each input"
    )
    parser.add_argument(
        "--rss-limit",
        type=_positive_int,
        default=runner.DEFAULT_RSS_LIMIT_MB,
        metavar="MB",
        help="resident memory limit per process (default: %(default)s)",
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET", help="default: all targets")


def run(args: argparse.Namespace, load: Loader) -> int:
    project = load()
    mode = run_modes.choose_mode(args.valgrind, args.leaks, args.profile)
    chosen = plan(
        project,
        args.targets,
        profile=args.profile or DEFAULT_PROFILE,
        cc=args.cc,
        repeat=args.repeat,
        mode=mode,
    )
    for warning in chosen.warnings:
        print(f"harness: warning: {warning}", file=sys.stderr)
    progress = _progress_line(sys.stderr) if sys.stderr.isatty() else None
    try:
        result = runner.run_jobs(
            project,
            chosen,
            jobs=args.jobs,
            timeout=args.timeout,
            rss_limit_mb=args.rss_limit,
            progress=progress,
        )
    except runner.RunInterrupted as interrupted:
        done = interrupted.result
        _clear(progress)
        print(
            f"harness: interrupted after {len(done.jobs)} of {done.planned} jobs; "
            f"they are in {relative(done.run_dir, project.root)}/",
            file=sys.stderr,
        )
        raise
    _clear(progress)
    rows = [
        (row.target, row.jobs, row.crashed, row.timed_out, row.with_logs)
        for row in runner.summarize(chosen.targets, result.jobs)
    ]
    headers = ("target", "jobs", "crashed", "timed out", "with sanitizer logs")
    print(tabulate(rows, headers=headers))
    print(
        f"\n{_jobs(len(result.jobs))} ({chosen.recorded_profile}, {chosen.compiler}) in "
        f"{relative(result.run_dir, project.root)}/"
    )
    for line in launch.notes(chosen):
        print(line)
    return 0


def _jobs(count: int) -> str:
    return f"{count} job" if count == 1 else f"{count} jobs"


def _progress_line(stream: TextIO) -> runner.Progress:
    def show(done: int, total: int, job: Job) -> None:
        stream.write(f"\r\x1b[K[{done}/{total}] {job.target}")
        stream.flush()

    return show


def _clear(progress: runner.Progress | None) -> None:
    if progress is not None:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text}: not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: give a number of 1 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text}: not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: give a positive number of seconds")
    return value
