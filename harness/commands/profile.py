"""`harness profile`: heap over time, the peak and the allocation sites at the peak (Massif)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from harness.commands.base import Loader, notify
from harness.errors import EXIT_OK

if TYPE_CHECKING:
    from harness.heap_profile import HeapProfile, Site, SiteChange
    from harness.massif import Massif

NAME = "profile"
HELP = "heap profile of one target on one input: peak, top allocation sites, plot"
PATH_DEPTH = 6
NAME_WIDTH = 40


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    from harness.subject import COMPILERS

    parser.add_argument("target", metavar="TARGET")
    parser.add_argument("input", metavar="INPUT", help="a file, or a name in the target's inputs")
    parser.add_argument(
        "--massif",
        action="store_true",
        default=True,
        help="profile with Valgrind's Massif (the default and, for now, the only mode)",
    )
    parser.add_argument(
        "--cc", choices=COMPILERS, help="whose plain build (default: gcc, else clang)"
    )
    parser.add_argument(
        "--compare",
        metavar="REV_OR_FILE",
        help="a massif.out, a profile JSON, or a commit profiled earlier: what grew and shrank",
    )
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds for the Massif run")


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness import heap_profile

    project = load()
    before = None
    if args.compare:  # before profiling: a wrong --compare fails fast
        stem = Path(args.input).stem
        before = heap_profile.load_baseline(project, args.target, stem, args.compare)
    result = heap_profile.profile(
        project, args.target, args.input, args.cc, args.timeout, notify=notify
    )
    print(_summary(result))
    if before is not None:
        print(f"\nat the peak, against {args.compare}:")
        print(_peaks(before, result.massif))
        ignore = project.require_config().ignore_frames
        print(_changes(heap_profile.compare(before, result.massif, ignore)))
    written = [result.json_path, *result.plots, result.massif_out]
    print("\nwritten: " + ", ".join(_shown(path, project.root) for path in written))
    return EXIT_OK


def _summary(result: HeapProfile) -> str:
    from harness import heap_profile
    from harness.heap_profile import human_bytes

    massif = result.massif
    program = result.subject
    ended = f"killed by {result.signal}" if result.signal else f"exit code {result.exit_code}"
    lines = [
        f"{program.target.name} on {program.input.name} ({result.compiler}, plain build), {ended}"
    ]
    if result.timed_out:
        lines.append(
            f"warning: still running after {result.limit:g}s, stopped with SIGTERM: the "
            "profile covers the run until then (give it longer with --timeout S)"
        )
    elif result.signal:
        lines.append(f"warning: the program died of {result.signal}: the profile ends there")
    if massif.truncated:
        lines.append("warning: massif.out ends in the middle of a snapshot; later ones are lost")
    if result.commit and result.stored is None:
        lines.append(
            f"note: not kept as the profile of {result.commit[:12]} for --compare: "
            "the work tree has uncommitted changes"
        )
    peak = massif.peak
    if peak is not None:
        lines.append(
            f"peak: snapshot {peak.number} at time {peak.time:,} {massif.time_unit}: "
            f"{human_bytes(peak.total)} = {human_bytes(peak.heap)} useful heap "
            f"+ {human_bytes(peak.heap_extra)} extra heap"
        )
    lines.append("")
    lines.append(_sites(result))
    values = [snapshot.total for snapshot in sorted(massif.snapshots, key=lambda s: s.time)]
    lines.append(
        f"\nheap over time ({len(values)} snapshots, max {human_bytes(max(values))}):\n"
        f"  {heap_profile.sparkline(values)}"
    )
    return "\n".join(lines)


def _sites(result: HeapProfile) -> str:
    from tabulate import tabulate

    sites = result.sites
    peak = result.massif.peak
    if peak is not None and peak.heap == 0:
        return "no heap in use at any snapshot: nothing was allocated through malloc or new"
    if not sites:
        return "no allocation tree at the peak (Massif wrote no detailed snapshot there)"
    rows = [
        (
            _short(_site_name(site)),
            site.location or "",
            f"{site.bytes:,}",
            f"{site.share:.1f}%",
            _path(site.path),
        )
        for site in sites
    ]
    return tabulate(rows, headers=("site", "file:line", "bytes", "share", "call path"))


def _site_name(site: Site) -> str:
    """The function; for Massif's sites below its threshold, how many they are;
    "???" for code with no symbol (its module is in the file:line column)."""
    if site.function:
        return site.function
    return f"({site.places} places below threshold)" if site.places is not None else "???"


def _path(path: tuple[str, ...]) -> str:
    shown = " ‹ ".join(_short(name) for name in path[:PATH_DEPTH])
    return shown + " ‹ …" if len(path) > PATH_DEPTH else shown


def _short(name: str) -> str:
    """C++ names run to hundreds of characters; the table keeps their start."""
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"


def _peaks(before: Massif, after: Massif) -> str:
    """The peak's total (useful heap plus overhead) before and after."""
    from harness.heap_profile import human_bytes

    old = before.peak.total if before.peak else 0
    new = after.peak.total if after.peak else 0
    sign = "+" if new >= old else "-"
    return (
        f"peak {human_bytes(old)} → {human_bytes(new)} "
        f"({sign}{human_bytes(abs(new - old))}, {new - old:+,} bytes)"
    )


def _changes(changes: tuple[SiteChange, ...]) -> str:
    from tabulate import tabulate

    rows = [
        (
            _path(tuple(change.key.split(" ‹ "))),
            change.location or "",
            f"{change.before:,}",
            f"{change.after:,}",
            f"{change.change:+,}",
            change.status,
        )
        for change in changes
    ]
    return tabulate(rows, headers=("site", "file:line", "before", "after", "change", ""))


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
