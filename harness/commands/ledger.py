"""`harness ledger`: the malloc/free ledger of one target on one input, and its
unfreed blocks as leak findings."""

from __future__ import annotations

import argparse
import json

from harness.commands.base import Loader, notify
from harness.errors import EXIT_OK

NAME = "ledger"
HELP = "every allocation and free of one run (ltrace, jemalloc or LSan) and what stayed unfreed"
FORMATS = ("table", "json")
# Cheapest first, as harness.ledger.model.METHODS (not imported here: the
# parser is built on every start of the command line).
METHODS = ("lsan", "jemalloc", "ltrace")
COMPILERS = ("gcc", "clang")


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="TARGET")
    parser.add_argument("input", metavar="INPUT", help="a file, or a name in the target's inputs")
    parser.add_argument(
        "--via",
        choices=METHODS,
        help="how to count (default: the cheapest available, in the order "
        + ", ".join(METHODS)
        + ")",
    )
    parser.add_argument("--cc", choices=COMPILERS, help="whose plain build (default: gcc)")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds for the run")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument(
        "--no-store", action="store_true", help="do not record the unfreed blocks as findings"
    )


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness.ledger import render
    from harness.ledger import run as ledger_run
    from harness.ledger import store as ledger_store
    from harness.store import open_store

    project = load()
    result = ledger_run.measure(
        project, args.target, args.input, args.via, args.cc, args.timeout, notify
    )
    links = render.Links()
    # A program that died leaves blocks it would have freed: no leak findings.
    if not args.no_store and result.ledger.signal is None:
        config = project.require_config()
        with open_store(project.db) as opened:
            stored = ledger_store.ingest(opened, result, project.root, config.ignore_frames)
            known = opened.history()
        twins = tuple(ledger_store.same_site(group, known) for group in result.ledger.groups)
        links = render.Links(stored.by_group, stored.statuses, twins)
    if args.format == "json":
        print(json.dumps(render.to_json(result, project.root, links), indent=2))
    else:
        print(render.table(result, project.root, links))
    return EXIT_OK
