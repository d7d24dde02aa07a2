"""`harness mute FINDING --reason TEXT` (or `--unmute`): a known, accepted
finding stays tracked but is never reported as new."""

from __future__ import annotations

import argparse

from harness.commands.base import Loader
from harness.errors import EXIT_OK, UsageError

NAME = "mute"
HELP = "mark a finding known and accepted: tracked, never reported as new"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("finding", metavar="FINDING", help="finding id (a unique prefix is enough)")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--reason", metavar="TEXT", help="why it is accepted (kept with it)")
    how.add_argument("--unmute", action="store_true", help="report it again")


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness.store import open_store

    if args.reason is not None and not args.reason.strip():
        raise UsageError("--reason: say why the finding is accepted")
    with open_store(load().db, create=False) as store:
        finding = store.resolve(args.finding)
        status = store.set_muted(finding, None if args.unmute else args.reason.strip())
    print(f"{finding}: {status}")
    return EXIT_OK
