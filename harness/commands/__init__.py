"""The list of commands. Each module has NAME, HELP, prepare_parser(parser) and
run(args, project_loader) -> int; a command only wires arguments to the library."""

from __future__ import annotations

from types import ModuleType

from harness.commands import (
    bisect,
    build,
    cost,
    diff,
    history,
    ledger,
    mute,
    nightly,
    profile,
    report,
    run,
    show,
    triage,
)

COMMANDS: tuple[ModuleType, ...] = (
    build,
    run,
    triage,
    show,
    history,
    diff,
    bisect,
    mute,
    report,
    nightly,
    profile,
    ledger,
    cost,
)
