"""`harness show FINDING`: one finding, its stacks, where it was seen, its history."""

from __future__ import annotations

import argparse
import sys

from harness.commands.base import Loader
from harness.errors import EXIT_OK

NAME = "show"
HELP = "show one finding: title, stacks, where it was seen, status history"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("finding", metavar="FINDING", help="finding id (a unique prefix is enough)")


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness import vcs
    from harness.render.across import tracking_lines
    from harness.render.detail import show_lines, write_lines
    from harness.store import open_store

    project = load()
    with open_store(project.db, create=False) as store:
        detail = store.detail(args.finding)
        tracked = store.tracked(detail.finding.id)
    repo = vcs.repository(project.root)
    extra = tracking_lines(tracked, lambda sha: vcs.info(repo, sha))
    write_lines(show_lines(detail) + ([""] + extra if extra else []), sys.stdout)
    return EXIT_OK
