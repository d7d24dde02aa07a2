"""`harness triage PATH...|-`: logs in, ranked findings out (and into the store)."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path

from harness.commands.base import Loader
from harness.errors import EXIT_FINDINGS, EXIT_OK, UsageError

NAME = "triage"
HELP = "parse sanitizer logs into deduplicated, ranked findings"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    from harness.render import Format

    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="log files or folders; - for stdin"
    )
    parser.add_argument(
        "--format", choices=[f.value for f in Format], default=Format.TABLE.value, help="output"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write here, not to stdout")
    parser.add_argument("--no-store", action="store_true", help="do not record in the database")
    parser.add_argument(
        "--fail-on", choices=["new"], help="exit 1 when a new or regressed finding appears"
    )
    parser.add_argument("-j", "--jobs", type=int, default=2, help="parser processes (default 2)")


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness.claims import warning as claim_warning
    from harness.model import printable_path
    from harness.pipeline import project_settings, triage
    from harness.render import Format
    from harness.store import open_store

    if args.paths.count("-") > 1:
        raise UsageError("- (standard input) may be given once")
    # like git and make, -C DIR runs as if started in DIR
    cwd = Path(args.directory).resolve() if args.directory else None
    base = cwd or Path.cwd()
    missing = [path for path in args.paths if path != "-" and not base.joinpath(path).exists()]
    if missing:
        raise UsageError(
            f"{printable_path(missing[0])}: no such file or folder; give log files or folders,"
            " or - to read a log from standard input"
        )
    project = load()
    ignore = project.config.ignore_frames if project.config else ()
    # --no-store leaves no trace in the project: no symbol cache either
    state_dir = None if args.no_store else project.state_dir
    symbolize, rules = project_settings(project.config, state_dir)
    stdin = sys.stdin.buffer.read() if "-" in args.paths else None
    with ExitStack() as stack:
        store = None if args.no_store else stack.enter_context(open_store(project.db))
        result = triage(
            args.paths,
            store=store,
            root=project.root,
            ignore=ignore,
            stdin=stdin,
            workers=max(1, args.jobs),
            cwd=cwd,
            symbolize=symbolize,
            suppressions=rules,
        )
    for finding, commit in sorted(result.claims.items()):
        print(f"harness: warning: {claim_warning(finding, commit)}", file=sys.stderr)
    for line in result.suppressed:
        print(f"harness: {line}", file=sys.stderr)
    for line in result.suppression_warnings:
        print(f"harness: warning: {line}", file=sys.stderr)
    fmt = Format(args.format)
    if args.output:
        with base.joinpath(args.output).open("w", encoding="utf-8") as out:
            fmt.render(result, out)
    else:
        fmt.render(result, sys.stdout)
    if args.fail_on == "new" and result.gating():
        return EXIT_FINDINGS
    return EXIT_OK
