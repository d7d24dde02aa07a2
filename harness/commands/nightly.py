"""`harness nightly`: build, run, triage, compare with the last night, report, mail."""

from __future__ import annotations

import argparse
import sys

from harness.commands.base import Loader

NAME = "nightly"
HELP = "build, run and triage every [nightly] profile, report what changed, and mail it"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    mail = parser.add_mutually_exclusive_group()
    mail.add_argument(
        "--dry-run", action="store_true", help="write the mail as an .eml into reports/, send none"
    )
    mail.add_argument("--no-mail", action="store_true", help="send no mail")
    parser.add_argument("-j", "--jobs", type=int, metavar="N", help="jobs at once (default: cores)")


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness.nightly import checkout_label, run_nightly, summary_line

    project = load()

    def say(line: str) -> None:
        print(f"harness: {line}", file=sys.stderr)

    result = run_nightly(
        project, dry_run=args.dry_run, no_mail=args.no_mail, jobs=args.jobs, say=say
    )
    print(f"{checkout_label(result.commit)}: {summary_line(result.counts)}")
    for failure in result.failures:
        print(f"harness: error: {failure.title}: {failure.message}", file=sys.stderr)
        if failure.detail:
            print(failure.detail, file=sys.stderr)
    for path in result.reports:
        print(path)
    if result.eml is not None:
        print(f"mail written to {result.eml} (dry run: nothing sent)")
    else:
        print(f"mail: {result.mail}")
    return result.exit_code
