"""`harness diff [OLD] [NEW]`: new, fixed, regressed and still-open findings
between two commits."""

from __future__ import annotations

import argparse
import sys

from harness.commands.base import Loader
from harness.errors import EXIT_OK

NAME = "diff"
HELP = "new / fixed / regressed / still open findings between two commits"
FORMATS = ("table", "md", "json")


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", nargs="?", metavar="OLD_REV", help="default: the last run but one")
    parser.add_argument("new", nargs="?", metavar="NEW_REV", help="default: the last run")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output")


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness.diff import diff
    from harness.render.across import DiffFormat
    from harness.store import open_store

    project = load()
    with open_store(project.db, create=False) as store:
        view = diff(store, project.root, args.old, args.new)
    DiffFormat(args.format).write(view, sys.stdout)
    return EXIT_OK
