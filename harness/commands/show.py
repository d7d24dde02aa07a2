"""`harness show`."""

from __future__ import annotations

import argparse

from harness.commands.base import Loader

NAME = "show"
HELP = "show (not implemented yet)"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, load: Loader) -> int:
    raise NotImplementedError
