"""Argument parsing and exit codes only: every command calls into the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness import __version__
from harness.commands import COMMANDS
from harness.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, HarnessError
from harness.project import Project, open_project


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


# Global options that take a value: the word after them is not the command.
_VALUE_OPTIONS = ("-C", "--config", "--db")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or with only command `only` given its
    arguments: preparing a command's parser imports what its choices need."""
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
        if only is None or command.NAME == only:
            command.prepare_parser(child)
        child.set_defaults(_command=command)
    return parser


def _command_word(argv: Sequence[str]) -> str | None:
    """The command named on the command line, if one of ours."""
    names = {command.NAME for command in COMMANDS}
    words = iter(argv)
    for word in words:
        if word == "--":
            return None
        if _takes_value(word):
            next(words, None)
        elif not word.startswith("-"):
            return word if word in names else None
    return None


def _takes_value(word: str) -> bool:
    if word in _VALUE_OPTIONS:
        return True
    # argparse also accepts unambiguous prefixes (--conf FILE)
    prefix = word.startswith("--") and len(word) > 2 and "=" not in word
    return prefix and any(option.startswith(word) for option in _VALUE_OPTIONS)


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=_command_word(words))
    args = parser.parse_args(words)

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
    except OSError as exc:
        # the disk or the system refused (no space, no permission, ...): name
        # the file, say what the system said; what was done before is kept
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"harness: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
