"""`harness run`: every input of every target on its built binary, into logs/<run-id>/."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from harness.commands.base import Loader
from harness.errors import UsageError

if TYPE_CHECKING:
    from harness import runner
    from harness.model import Job
    from harness.project import Project
    from harness.run_plan import Plan

NAME = "run"
HELP = "run every target on its inputs, sanitizer logs into logs/<run-id>/"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    from harness import run_modes, runner
    from harness.run_plan import DEFAULT_PROFILE

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
        "--repeat",
        type=_positive_int,
        metavar="N",
        help="runs of each input (default 1; 3 with --reproducers)",
    )
    parser.add_argument(
        "--reproducers",
        action="store_true",
        help="run only the stored reproducers of every open finding (verifies fixes)",
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
    from tabulate import tabulate

    from harness import launch, run_modes, runner
    from harness.run_plan import DEFAULT_PROFILE, plan, relative

    project = load()
    mode = run_modes.choose_mode(args.valgrind, args.leaks, args.profile)
    if args.reproducers:
        if args.valgrind or args.leaks:
            raise UsageError("--reproducers runs the sanitizer builds: drop --valgrind/--leaks")
        chosen = _reproducer_plan(project, args)
        if chosen is None:
            return 0
    else:
        chosen = plan(
            project,
            args.targets,
            profile=args.profile or DEFAULT_PROFILE,
            cc=args.cc,
            repeat=args.repeat or 1,
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
        (row.target, row.jobs, row.failed, row.timed_out, row.with_logs)
        for row in runner.summarize(chosen.targets, result.jobs)
    ]
    headers = ("target", "jobs", "failed", "timed out", "with sanitizer logs")
    print(tabulate(rows, headers=headers))
    print(
        f"\n{_jobs(len(result.jobs))} ({chosen.recorded_profile}, {chosen.compiler}) in "
        f"{relative(result.run_dir, project.root)}/"
    )
    for line in launch.notes(chosen):
        print(line)
    return 0


def _reproducer_plan(project: Project, args: argparse.Namespace) -> Plan | None:
    """The plan of `--reproducers`; None (after saying why) when there is nothing to run."""
    from harness import reproducers
    from harness.run_plan import DEFAULT_PROFILE
    from harness.store import open_store

    profile = args.profile or DEFAULT_PROFILE
    with open_store(project.db) as store:
        selection = reproducers.select(store, project.root, profile, args.targets)
    for why in selection.skipped:
        print(f"harness: warning: {why}", file=sys.stderr)
    if not selection.chosen:
        print(f"no open finding has a stored reproducer for profile {profile}: nothing to run")
        return None
    repeat = args.repeat or reproducers.DEFAULT_REPEAT
    return reproducers.plan(project, selection.chosen, profile=profile, cc=args.cc, repeat=repeat)


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
