"""`harness build`: build targets with a sanitizer profile, or wrap your own build command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness.commands.base import Loader
from harness.errors import EXIT_OK

NAME = "build"
HELP = "build targets with sanitizers (SCons), or run your own build with sanitizer flags"
EPILOG = "Everything after '--' is your own build command, e.g.: harness build --asan -- make -j4"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    from harness.profiles import PARTS, PLAIN
    from harness.toolchain import FAMILIES

    parser.epilog = EPILOG
    profiles = parser.add_mutually_exclusive_group()
    for name in (*PARTS, PLAIN):
        profiles.add_argument(
            f"--{name}",
            dest="profile",
            action="store_const",
            const=name,
            help=f"the {name} profile" + (" (default)" if name == "asan" else ""),
        )
    profiles.add_argument("--profile", metavar="P", help="a profile or a combination: asan+ubsan")
    parser.set_defaults(profile="asan", build_command=[])
    parser.add_argument("--cc", choices=FAMILIES, help="compiler (default: [project] cc, or gcc)")
    parser.add_argument("-j", "--jobs", type=int, metavar="N", help="parallel compile jobs")
    parser.add_argument("targets", nargs="*", metavar="TARGET", help="targets (default: all)")
    _split_at_double_dash(parser)


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness import build

    project = load()
    if args.build_command:
        return build.wrap(project, args.profile, args.cc, args.build_command)
    result = build.build_targets(project, args.profile, args.cc, args.jobs, args.targets)
    if result.warnings.strip():
        print(result.warnings.rstrip(), file=sys.stderr)
    state = "up to date" if result.up_to_date else f"{len(result.compiled)} file(s) compiled"
    print(f"{result.compiler.label}, profile {result.profile}: {state}")
    for binary in result.binaries:
        print(f"  {binary.relative_to(project.root)}")
    return EXIT_OK


def _split_at_double_dash(parser: argparse.ArgumentParser) -> None:
    """Keep what follows `--` apart as the wrapped command: argparse alone would
    fold it into the TARGET list."""
    parse = parser.parse_known_args

    def parse_known_args(
        args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        words = list(args or ())
        command: list[str] = []
        if "--" in words:
            cut = words.index("--")
            words, command = words[:cut], words[cut + 1 :]
        parsed, rest = parse(words, namespace)
        parsed.build_command = command
        return parsed, rest

    setattr(parser, "parse_known_args", parse_known_args)  # noqa: B010
