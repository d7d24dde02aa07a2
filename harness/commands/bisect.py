"""`harness bisect FINDING [--good REV] [--bad REV] [--runs N]`: the first
commit at which a finding appears, built and run in temporary worktrees."""

from __future__ import annotations

import argparse
import sys

from harness.commands.base import Loader
from harness.errors import EXIT_OK

NAME = "bisect"
HELP = "find the commit that introduced a finding (temporary worktrees; checkout untouched)"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("finding", metavar="FINDING", help="finding id (a unique prefix is enough)")
    parser.add_argument(
        "--good", metavar="REV", help="a commit without it (default: the last known clean one)"
    )
    parser.add_argument("--bad", metavar="REV", help="a commit with it (default: first seen)")
    parser.add_argument(
        "--runs", type=_positive, default=3, metavar="N", help="runs per commit (default 3)"
    )
    parser.add_argument("--cc", choices=("gcc", "clang"), help="compiler (default: as built)")
    parser.add_argument("-j", "--jobs", type=_positive, default=2, help="build and run jobs")


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness import vcs
    from harness.bisect import Request, Step, bisect
    from harness.render.across import bisect_lines, write_lines
    from harness.store import open_store

    project = load()
    project.require_config()

    def progress(step: Step) -> None:
        print(f"harness: {step.commit[:7]} {step.verdict}: {step.detail}", file=sys.stderr)

    request = Request(args.finding, args.good, args.bad, args.runs, args.cc, args.jobs)
    with open_store(project.db, create=False) as store:
        finding, result = bisect(project, store, request, progress)
    repo = vcs.repository(project.root)
    print(f"finding {finding}")
    write_lines(bisect_lines(result, lambda sha: vcs.info(repo, sha)), sys.stdout)
    return EXIT_OK


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text}: not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: give 1 or more")
    return value
