"""Argument parsing and exit codes only: every command calls into the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness import __version__
from harness.commands import COMMANDS
from harness.errors import EXIT_INTERRUPTED, EXIT_USAGE, HarnessError
from harness.project import Project, open_project


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harness",
        description="Build with sanitizers, run, and triage native memory bugs.",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    parser.add_argument("-C", dest="directory", metavar="DIR", help="project folder")
    parser.add_argument("--config", metavar="FILE", help="harness.toml to use")
    parser.add_argument("--db", metavar="PATH|URL", help="findings database")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for command in COMMANDS:
        child = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.prepare_parser(child)
        child.set_defaults(_command=command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    def load() -> Project:
        return open_project(args.directory, args.config, args.db)

    try:
        return int(args._command.run(args, load))
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        stderr = getattr(exc, "stderr", "")
        if stderr:
            print(stderr.rstrip(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("harness: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
