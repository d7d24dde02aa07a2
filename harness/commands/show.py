"""`harness show FINDING`: one finding, its stacks, where it was seen, its history."""

from __future__ import annotations

import argparse
import sys

from harness.commands.base import Loader
from harness.errors import EXIT_OK
from harness.render.detail import show_lines, write_lines
from harness.store import open_store

NAME = "show"
HELP = "show one finding: title, stacks, where it was seen, status history"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("finding", metavar="FINDING", help="finding id (a unique prefix is enough)")


def run(args: argparse.Namespace, load: Loader) -> int:
    with open_store(load().db, create=False) as store:
        detail = store.detail(args.finding)
    write_lines(show_lines(detail), sys.stdout)
    return EXIT_OK
