"""`harness profile --massif`: a plain build under Valgrind's Massif, read back
into the peak, the allocation sites at the peak and the heap over time.

Writes into reports/: `profile-<target>-<input>/massif.out` (Massif's own
file), `profile-<target>-<input>.json` (everything), and the plots; keeps a
copy of the JSON under .harness/profiles/<commit>/ so a later profile can be
compared with the one of an earlier commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import build, proc, subject, vcs
from harness import massif as massif_module
from harness.errors import ToolError, UsageError
from harness.massif import Massif, Node, Snapshot
from harness.model import Frame
from harness.project import Project
from harness.subject import Subject
from harness.triage.signature import is_ignored

SCHEMA = "harness.profile/1"
# Why each option:
#   --time-unit=B         time counts bytes allocated: short programs get a readable
#                         x axis, and it does not vary with the machine's speed.
#   --detailed-freq=1     every snapshot keeps its allocation tree, not one in ten.
#   --max-snapshots=200   enough points for a smooth curve, small enough to read.
MASSIF_OPTIONS = ("--time-unit=B", "--detailed-freq=1", "--max-snapshots=200")
# Massif runs a program 20-100 times slower than natively.
SLOWDOWN = 20
BELOW_THRESHOLD = "(below threshold)"


@dataclass(frozen=True, slots=True)
class Site:
    """An allocation site at the peak: a direct caller of malloc/new and the
    heaviest call path from it down to main. `key` (the path's function names)
    identifies it across runs and commits."""

    key: str
    function: str | None
    location: str | None
    bytes: int
    share: float
    path: tuple[str, ...]
    places: int | None


@dataclass(frozen=True, slots=True)
class HeapProfile:
    """One Massif run of a target on an input, and where its files went."""

    subject: Subject
    massif: Massif
    exit_code: int
    compiler: str
    commit: str | None
    dirty: bool
    massif_out: Path
    json_path: Path
    plots: tuple[Path, ...]
    sites: tuple[Site, ...] = ()  # peak_sites with the project's ignore_frames
    timed_out: bool = False  # stopped at `limit` seconds: the profile covers the run until then
    limit: float | None = None
    stored: Path | None = None  # the copy kept for --compare REV (None: a dirty tree)

    @property
    def signal(self) -> str | None:
        return proc.signal_name(self.exit_code)


@dataclass(frozen=True, slots=True)
class SiteChange:
    key: str
    location: str | None
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before

    @property
    def status(self) -> str:
        if self.before == 0:
            return "new"
        if self.after == 0:
            return "gone"
        return "grew" if self.change > 0 else "shrank" if self.change < 0 else "same"


def peak_sites(massif: Massif, ignore: Sequence[str] = ()) -> tuple[Site, ...]:
    """The allocation sites at the peak, largest first; empty when the peak
    snapshot has no allocation tree.

    Massif's sites are the direct callers of malloc and new. Where such a
    caller is itself an allocator or a library internal that finding
    signatures skip (strdup, std::__new_allocator, or the project's
    `[triage] ignore_frames`), its callers are the sites instead, so that the
    table names the program's own code; the sites below Massif's threshold
    are summed into one."""
    peak = massif.peak
    if peak is None or peak.tree is None:
        return ()
    nodes = _own_nodes(peak.tree.children, tuple(ignore))
    sites = [_site(node, peak.heap) for node in nodes if not node.below_threshold]
    below = [node for node in nodes if node.below_threshold]
    if below:
        size = sum(node.bytes for node in below)
        places = sum(node.places or 0 for node in below)
        share = 100.0 * size / peak.heap if peak.heap else 0.0
        sites.append(Site(BELOW_THRESHOLD, None, None, size, share, (), places))
    return tuple(sorted(sites, key=lambda site: -site.bytes))


def _own_nodes(nodes: Sequence[Node], ignore: tuple[str, ...]) -> list[Node]:
    """Each node, or in place of a skipped one its callers, unless no caller
    below it is named code of the program's (the C library's start-up code
    allocating for itself): then the node stays."""
    out: list[Node] = []
    for node in nodes:
        callers = _own_nodes(node.children, ignore) if _skipped(node, ignore) else []
        out.extend(callers if any(_named(caller, ignore) for caller in callers) else [node])
    return out


def _named(node: Node, ignore: tuple[str, ...]) -> bool:
    return node.function is not None and not _skipped(node, ignore)


def _skipped(node: Node, ignore: tuple[str, ...]) -> bool:
    if node.below_threshold or node.function == "main":
        return False
    frame = Frame(0, None, node.function, node.file, node.line, module=node.module)
    return is_ignored(frame, ignore)


def _site(node: Node, heap: int) -> Site:
    share = 100.0 * node.bytes / heap if heap else 0.0
    if node.below_threshold:
        return Site(BELOW_THRESHOLD, None, None, node.bytes, share, (), node.places)
    path = call_path(node)
    return Site(" ‹ ".join(path), node.function, node.location, node.bytes, share, path, None)


def call_path(node: Node) -> tuple[str, ...]:
    """Function names from `node` down its heaviest branch, ending at main."""
    names: list[str] = []
    current: Node | None = node
    while current is not None and not current.below_threshold:
        names.append(current.function or "???")
        if current.function == "main":
            break
        frames = [child for child in current.children if not child.below_threshold]
        current = max(frames, key=lambda child: child.bytes) if frames else None
    return tuple(names)


def compare(before: Massif, after: Massif, ignore: Sequence[str] = ()) -> tuple[SiteChange, ...]:
    """Per site, the bytes at each peak; the largest changes first. A site is
    known by its call path's function names, never by line numbers, so a line
    moved by an unrelated edit is still the same site."""
    first, second = peak_sites(before, ignore), peak_sites(after, ignore)
    old = _bytes_by_key(first)
    new = _bytes_by_key(second)
    where = {site.key: site.location for site in (*first, *second)}
    changes = [
        SiteChange(key, where.get(key), old.get(key, 0), new.get(key, 0))
        for key in dict.fromkeys((*new, *old))
    ]
    return tuple(sorted(changes, key=lambda change: -abs(change.change)))


def _bytes_by_key(sites: tuple[Site, ...]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for site in sites:
        totals[site.key] = totals.get(site.key, 0) + site.bytes
    return totals


def profile(
    project: Project,
    target_name: str,
    input_given: str,
    cc: str | None = None,
    timeout: float | None = None,
    plots: bool = True,
    notify: Callable[[str], None] = lambda message: None,
) -> HeapProfile:
    """Run the target's plain build on the input under Massif and write the
    reports. A run still going at the timeout is stopped with SIGTERM, which
    Massif survives long enough to write its file: the profile then covers the
    run until then (`timed_out`). The plain build is brought up to date first
    (telling `notify`). Raises NotBuiltError (a target built by the project's
    own command), UsageError, BuildError, ToolError (valgrind missing, or no
    file written) and massif.MassifError."""
    target = subject.find_target(project, target_name)
    subject.require_program(target, "profile")
    input_path = subject.find_input(project, target, input_given)
    chosen = subject.choose_cc(project, target, subject.PLAIN, cc)
    build.ensure_built(project, target, subject.PLAIN, chosen, notify)
    program = subject.subject(project, target, input_path, chosen)
    stem = f"profile-{target.name}-{program.input_stem}"
    out_dir = project.reports_dir / stem
    out_dir.mkdir(parents=True, exist_ok=True)
    massif_out = out_dir / "massif.out"
    massif_out.unlink(missing_ok=True)
    limit = timeout or target.timeout * SLOWDOWN
    stopped = proc.run_stopping(
        ["valgrind", "--tool=massif", *MASSIF_OPTIONS, f"--massif-out-file={massif_out}"]
        + list(program.argv),
        env=proc.child_env(target.env),
        cwd=project.root,
        timeout=limit,
        stdin=program.stdin,
        what="valgrind --tool=massif",
    )
    done = stopped.done
    if not massif_out.is_file():
        if stopped.timed_out:
            raise ToolError(
                f"valgrind --tool=massif did not finish within {limit:g}s and wrote no "
                f"{massif_out} when stopped; give it longer with --timeout S",
                done.stderr,
            )
        raise ToolError(
            f"valgrind --tool=massif wrote no {massif_out} (exit code {done.returncode}); "
            "its messages follow",
            done.stderr,
        )
    parsed = massif_module.parse_file(massif_out)
    commit = vcs.current_commit(project.root)
    # A profile of uncommitted changes is not the commit's: storing it under the
    # commit would make the next --compare of that commit compare with it.
    stored = (
        stored_path(project, commit.sha, target.name, program.input_stem)
        if commit.sha is not None and not commit.dirty
        else None
    )
    title = f"{target.name} on {input_path.name}"
    written = _plot(parsed, project.reports_dir / stem, title) if plots else ()
    result = HeapProfile(
        subject=program,
        massif=parsed,
        exit_code=done.returncode,
        compiler=compiler_label(program.binary.parent, chosen),
        commit=commit.sha,
        dirty=commit.dirty,
        massif_out=massif_out,
        json_path=project.reports_dir / f"{stem}.json",
        plots=written,
        sites=peak_sites(parsed, project.require_config().ignore_frames),
        timed_out=stopped.timed_out,
        limit=limit,
        stored=stored,
    )
    write_json(result.json_path, to_json(result, project.root))
    if stored is not None:
        write_json(stored, to_json(result, project.root))
    return result


def _plot(parsed: Massif, stem: Path, title: str) -> tuple[Path, ...]:
    from harness import plot  # matplotlib loads slowly: only when a plot is drawn

    return plot.heap_over_time(parsed, stem, title)


def stored_path(project: Project, sha: str, target: str, input_stem: str) -> Path:
    return project.state_dir / "profiles" / sha / f"{target}-{input_stem}.json"


def load_baseline(project: Project, target: str, input_stem: str, given: str) -> Massif:
    """What --compare names: a massif.out file, a profile JSON file, or a git
    revision whose profile of this target and input was stored earlier."""
    for candidate in (Path(given), project.root / given):
        if candidate.is_file():
            try:
                return read_profile_file(candidate)
            except massif_module.MassifError as exc:
                raise UsageError(f"--compare {given}: {exc}") from None
    sha = _resolve_revision(project.root, given)
    stored = stored_path(project, sha, target, input_stem)
    if not stored.is_file():
        raise UsageError(
            f"--compare {given}: no profile of {target} on {input_stem} stored for commit "
            f"{sha[:12]} (no {stored}); check out that commit and run harness profile there "
            "with no uncommitted changes (profiles of a dirty tree are not stored), "
            "or give a massif.out or profile JSON file"
        )
    return read_profile_file(stored)


def read_profile_file(path: Path) -> Massif:
    """A profile JSON (as written here) or a massif.out file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.lstrip().startswith("{"):
        return massif_module.parse_text(text, str(path))
    try:
        data = json.loads(text)
        return massif_module.from_json(data["massif"])
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"{path}: not a profile JSON written by harness profile ({exc!r}); "
            "give a massif.out or profile-<target>-<input>.json file"
        ) from None


def _resolve_revision(root: Path, rev: str) -> str:
    done = proc.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
        cwd=root,
        check=False,
        what="git rev-parse",
    )
    if done.returncode != 0:
        raise UsageError(
            f"--compare {rev}: neither a file nor a git revision of {root}; "
            "give a massif.out file, a profile JSON file or a commit"
        )
    return done.stdout.strip()


def compiler_label(build_dir: Path, cc: str) -> str:
    """build.json's "compiler" (like "gcc 12.2.0"), else the cc name."""
    try:
        data = json.loads((build_dir / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return cc
    label = data.get("compiler") if isinstance(data, dict) else None
    return label if isinstance(label, str) and label else cc


def peak_json(peak: Snapshot | None, time_unit: str) -> dict[str, Any] | None:
    if peak is None:
        return None
    return {
        "snapshot": peak.number,
        "time": peak.time,
        "time_unit": time_unit,
        "heap": peak.heap,
        "heap_extra": peak.heap_extra,
        "total": peak.total,
        "stacks": peak.stacks,
        "detailed": peak.tree is not None,
    }


def site_json(site: Site) -> dict[str, Any]:
    return {
        "function": site.function,
        "location": site.location,
        "bytes": site.bytes,
        "share": round(site.share, 2),
        "path": list(site.path),
        "places": site.places,
    }


def to_json(result: HeapProfile, root: Path) -> dict[str, Any]:
    """The profile JSON: the run, the peak, the sites at the peak, and all of Massif's data."""
    program = result.subject
    return {
        "schema": SCHEMA,
        "target": program.target.name,
        "input": relative(program.input, root),
        "cc": program.cc,
        "compiler": result.compiler,
        "argv": [relative(Path(program.argv[0]), root), *program.argv[1:]],
        "exit_code": result.exit_code,
        "signal": result.signal,
        "timed_out": result.timed_out,
        "commit": result.commit,
        "dirty": result.dirty,
        "massif_out": relative(result.massif_out, root),
        "plots": [relative(path, root) for path in result.plots],
        "peak": peak_json(result.massif.peak, result.massif.time_unit),
        "sites": [site_json(site) for site in result.sites],
        "massif": massif_module.to_json(result.massif),
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


def relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int], width: int = 60) -> str:
    """One character per bucket of snapshots, the bucket's largest value."""
    if not values:
        return ""
    buckets = min(width, len(values))
    top = max(values) or 1
    marks = []
    for index in range(buckets):
        part = values[index * len(values) // buckets : (index + 1) * len(values) // buckets]
        marks.append(SPARKS[min(len(SPARKS) - 1, max(part) * len(SPARKS) // (top + 1))])
    return "".join(marks)


def human_bytes(count: float) -> str:
    """1536 → '1.5 KiB'; bytes below 1 KiB as they are."""
    for size, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if abs(count) >= size:
            return f"{count / size:.2f} {unit}"
    return f"{count:.0f} B"
