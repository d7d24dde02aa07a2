"""`harness history [FINDING]`: findings across commits."""

from __future__ import annotations

import argparse
import sys

from harness.commands.base import Loader
from harness.errors import EXIT_OK

NAME = "history"
HELP = "findings across commits: all, or one finding's timeline"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("finding", nargs="?", metavar="FINDING", help="one finding's history")


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness import vcs
    from harness.render.across import timeline_lines, write_lines
    from harness.render.detail import history_rows, write_history
    from harness.store import open_store

    project = load()
    with open_store(project.db, create=False) as store:
        if args.finding:
            detail = store.detail(args.finding)
            tracked = store.tracked(detail.finding.id)
            repo = vcs.repository(project.root)
            lines = timeline_lines(detail, tracked, lambda sha: vcs.info(repo, sha))
            write_lines(lines, sys.stdout)
            return EXIT_OK
        findings = store.history()
    write_history(history_rows(findings), sys.stdout)
    return EXIT_OK
