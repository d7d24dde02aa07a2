"""`harness report`: the store's findings, with statuses and first-seen commits, as files."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.base import Loader
from harness.errors import EXIT_OK

NAME = "report"
HELP = "write the store's findings as report files (md, html, json, sarif, junit) into reports/"
FORMATS = ("md", "html", "json", "sarif", "junit", "all")
STEM = "report"


def prepare_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="all", help="default: all")
    parser.add_argument(
        "--since", metavar="REV", help="only findings first or last seen at REV or later"
    )
    parser.add_argument("-o", "--output", metavar="DIR", help="folder (default: reports/)")


def run(args: argparse.Namespace, load: Loader) -> int:
    from harness import report, vcs
    from harness.report import ReportFormat
    from harness.store import open_store

    project = load()
    select = report.since(project.root, args.since) if args.since else report.stored_status
    formats = ReportFormat.all() if args.format == "all" else (ReportFormat(args.format),)
    with open_store(project.db, create=False) as store:
        data = report.collect(
            store,
            root=project.root,
            project=project.config.name if project.config else None,
            commit=vcs.current_commit(project.root).sha,
            select=select,
        )
    folder = Path(args.output) if args.output else project.reports_dir
    if args.output and args.directory and not folder.is_absolute():
        # like git and make, -C DIR runs as if started in DIR
        folder = Path(args.directory) / folder
    for path in report.write_reports(data, formats, folder, STEM):
        print(path)
    return EXIT_OK
