"""Which files a triage reads, and which run and job produced each of them.

A log inside `logs/<run-id>/` whose path (relative to the run folder) is
named in that folder's runs.jsonl is linked to its Job: its key is
`run:<run_id>/job:<n>/<relpath>` and its commit the one the run recorded.
Any other log is keyed by its content hash and bound to the checkout.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from harness.model import Job, Unparsed, printable_path

RUNS_FILE = "runs.jsonl"
STDIN = "-"
# logs/<run-id>/job-0017/asan.1234 is two levels below its run folder; one
# more tolerates a runtime that writes into a subfolder.
RUN_FOLDER_DEPTH = 3


class LogFile(NamedTuple):
    """One log to triage (a NamedTuple: a large corpus makes one per file)."""

    path: str  # absolute
    shown: str  # as given on the command line (what reports' Source.log holds)
    job: Job | None = None
    relpath: str | None = None

    @property
    def run_key(self) -> str | None:
        if self.job is None or self.relpath is None:
            return None
        return f"run:{self.job.run_id}/job:{self.job.job}/{self.relpath}"


@dataclass
class _RunIndex:
    """runs.jsonl files read so far: run folder → {log relpath → Job}."""

    folders: dict[str, dict[str, Job] | None] = field(default_factory=dict)
    # every job of every runs.jsonl read, those that left no log included
    jobs: dict[tuple[str, int], Job] = field(default_factory=dict)
    # a log's folder → its run folder (or None): thousands of logs share a few folders
    run_folder_of: dict[str, str | None] = field(default_factory=dict)
    unparsed: list[Unparsed] = field(default_factory=list)

    def lookup(self, path: str, parent: str | None = None) -> tuple[Job, str] | None:
        """The job that wrote `path` and the log's path relative to its run
        folder; `parent` is the folder of `path` when the caller knows it."""
        if parent is None:
            parent = os.path.dirname(path)
        try:
            folder = self.run_folder_of[parent]
        except KeyError:
            folder = self.run_folder_of[parent] = self._find_run_folder(parent)
        if folder is None:
            return None
        rel = os.path.relpath(path, folder).replace(os.sep, "/")
        job = (self.folders[folder] or {}).get(rel)
        return (job, rel) if job else None

    def _find_run_folder(self, folder: str) -> str | None:
        for _ in range(RUN_FOLDER_DEPTH):
            if folder not in self.folders:
                runs = os.path.join(folder, RUNS_FILE)
                found = os.path.isfile(runs)
                self.folders[folder] = self.read(Path(runs)) if found else None
            if self.folders[folder] is not None:
                return folder
            folder = os.path.dirname(folder)
        return None

    def read(self, runs: Path) -> dict[str, Job]:
        by_log = _read_runs(runs, self.unparsed, self.jobs)
        self.folders[str(runs.parent)] = by_log
        return by_log


def _read_runs(
    path: Path, unparsed: list[Unparsed], every: dict[tuple[str, int], Job]
) -> dict[str, Job]:
    jobs: dict[str, Job] = {}
    offset = 0
    with path.open("rb") as handle:
        for raw in handle:
            line = raw.strip()
            if line:
                try:
                    job = Job.from_json(json.loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    unparsed.append(Unparsed(str(path), offset, f"bad runs.jsonl line: {exc}"))
                else:
                    jobs.update({log: job for log in job.logs})
                    every[(job.run_id, job.job)] = job
            offset += len(raw)
    return jobs


@dataclass(frozen=True, slots=True)
class Discovery:
    files: tuple[LogFile, ...]
    unparsed: tuple[Unparsed, ...]
    # every job of the runs.jsonl files read: those of the logs, and every job
    # of a runs.jsonl under a given folder (a job that left no log is a clean run)
    jobs: tuple[Job, ...]


def discover(paths: Sequence[str | Path], cwd: Path | None = None) -> Discovery:
    """Expand files and folders (recursively, sorted) into logs, linked to their jobs.

    Relative paths are taken from `cwd` (default: the current folder) and shown as given.
    """
    base = cwd or Path.cwd()
    index = _RunIndex()
    files: list[LogFile] = []
    seen: set[str] = set()
    unreadable: list[Unparsed] = []
    runs_files: list[str] = []
    for given in paths:
        if str(given) == STDIN:
            continue
        for shown, path, parent in _expand(str(given), base, unreadable, runs_files):
            if path in seen:
                continue
            seen.add(path)
            shown = printable_path(shown)  # what reports, output and the store name it by
            link = index.lookup(path, parent)
            if link is None:
                files.append(LogFile(path, shown))
            else:
                files.append(LogFile(path, shown, link[0], link[1]))
    for runs in runs_files:
        if os.path.dirname(runs) not in index.folders:
            index.read(Path(runs))
    jobs = dict(sorted(index.jobs.items()))
    return Discovery(tuple(files), tuple(unreadable + index.unparsed), tuple(jobs.values()))


def _expand(
    given: str, base: Path, unreadable: list[Unparsed], runs_files: list[str]
) -> Iterable[tuple[str, str, str | None]]:
    """(shown, absolute path, its folder or None) of each log under `given`."""
    path = base / given
    if path.is_dir():
        top = os.path.abspath(path)
        for folder, dirs, names in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            relative = os.path.relpath(folder, top)
            prefix = given if relative == "." else os.path.join(given, relative)
            # os.path.join's result, spelled out: it is the cost of a large folder
            shown_dir = _dir_prefix(prefix)
            path_dir = _dir_prefix(folder)
            for name in sorted(names):
                if name != RUNS_FILE:
                    yield shown_dir + name, path_dir + name, folder
                else:
                    runs_files.append(path_dir + name)
    elif path.is_file():
        yield given, os.path.abspath(path), None
    elif path.exists():
        unreadable.append(Unparsed(printable_path(given), 0, "not a regular file or folder"))
    else:
        unreadable.append(Unparsed(printable_path(given), 0, "no such file or folder"))


def _dir_prefix(folder: str) -> str:
    """What os.path.join(folder, name) puts before `name`."""
    return folder if not folder or folder.endswith(os.sep) else folder + os.sep
