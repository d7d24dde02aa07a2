"""`harness history [FINDING]`: findings across commits."""

from __future__ import annotations

import argparse
import sys

from harness.commands.base import Loader
from harness.errors import EXIT_OK
from harness.render.detail import history_rows, show_lines, write_history, write_lines
from harness.store import open_store

NAME = "history"
HELP = "findings with first-seen and last-seen commit, status and count"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("finding", nargs="?", metavar="FINDING", help="one finding's history")


def run(args: argparse.Namespace, load: Loader) -> int:
    with open_store(load().db, create=False) as store:
        if args.finding:
            write_lines(show_lines(store.detail(args.finding)), sys.stdout)
            return EXIT_OK
        findings = store.history()
    write_history(history_rows(findings), sys.stdout)
    return EXIT_OK
