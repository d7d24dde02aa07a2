"""The samples other tools find: UBSan, TSan, MSan and Valgrind memcheck, through the harness.

One copy of samples/ and harness.toml per session. Each (tool, compiler) pair
is built and run once, on first use, with only the targets whose ground-truth
row names that tool: `--ubsan` and `--tsan` with gcc and clang, `--msan` with
clang, `--plain` with `run --valgrind` for memcheck (gcc), and `--asan` (gcc)
for the samples ASan shares with memcheck. Every run is triaged into the
copy's one store. A triggering input must give a finding of the row's kind
whose frames hold the root-cause function; a benign input no report at all;
and a bug two tools see must be one finding listing both.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.cli import main
from harness.model import Job
from tests.helpers import clang_works
from tests.samples_truth import REPO, TOOL_ERROR_MARKERS, SampleTruth, load_truth

# Rows checked here: every bug some tool other than ASan finds. ASan-only rows
# are test_samples.py's.
TRUTH = tuple(truth for truth in load_truth() if set(truth.tools) - {"asan"})

# tool → (build flag, run arguments, compilers). memcheck runs on the gcc plain
# build (Valgrind reads clang 14's DWARF 5 only in part); ASan here only
# serves the bugs it shares with memcheck, with the compiler memcheck uses.
TOOLS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "ubsan": ("--ubsan", ("--profile", "ubsan"), ("gcc", "clang")),
    "tsan": ("--tsan", ("--profile", "tsan"), ("gcc", "clang")),
    "msan": ("--msan", ("--profile", "msan"), ("clang",)),
    "memcheck": ("--plain", ("--valgrind",), ("gcc",)),
    "asan": ("--asan", ("--profile", "asan"), ("gcc",)),
}


@dataclass(frozen=True)
class ToolRun:
    """One tool's build, run and triage of its samples with one compiler."""

    tool: str
    cc: str
    run_dir: Path
    jobs: tuple[Job, ...]
    triage: dict

    def job(self, target: str, input_name: str) -> Job:
        wanted = f"samples/{target}/inputs/{input_name}"
        matches = [job for job in self.jobs if job.target == target and job.input == wanted]
        assert len(matches) == 1, f"{self.tool} {self.cc}: {len(matches)} jobs for {wanted}"
        return matches[0]

    def log_text(self, job: Job) -> str:
        return "\n".join(
            (self.run_dir / log).read_bytes().decode("utf-8", errors="replace") for log in job.logs
        )


@dataclass
class Workspace:
    """A copy of the samples with one store; runs each (tool, compiler) once."""

    root: Path
    runs: dict[tuple[str, str], ToolRun] = field(default_factory=dict)

    def run(self, tool: str, cc: str) -> ToolRun:
        if (tool, cc) not in self.runs:
            self.runs[(tool, cc)] = self._build_run_triage(tool, cc)
        return self.runs[(tool, cc)]

    def _build_run_triage(self, tool: str, cc: str) -> ToolRun:
        build_flag, run_args, _ = TOOLS[tool]
        targets = [truth.target for truth in TRUTH if tool in truth.tools]
        before = set((self.root / "logs").glob("*/runs.jsonl"))
        harness = ["-C", str(self.root)]
        assert main([*harness, "build", build_flag, "--cc", cc, *targets]) == 0
        assert main([*harness, "run", *run_args, "--cc", cc, *targets]) == 0
        new = sorted(set((self.root / "logs").glob("*/runs.jsonl")) - before)
        assert len(new) == 1, f"{tool} {cc}: expected one new run folder, found {new}"
        lines = new[0].read_text(encoding="utf-8").splitlines()
        jobs = tuple(Job.from_json(json.loads(line)) for line in lines if line.strip())
        return ToolRun(tool, cc, new[0].parent, jobs, self.triage(new[0].parent))

    def triage(self, *run_dirs: Path) -> dict:
        out = self.root / f"triage-{len(list(self.root.glob('triage-*.json')))}.json"
        argv = ["-C", str(self.root), "triage", *map(str, run_dirs), "--format", "json"]
        assert main([*argv, "-o", str(out)]) == 0
        return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("samples-tools")
    shutil.copytree(REPO / "samples", root / "samples")
    shutil.copy2(REPO / "harness.toml", root / "harness.toml")
    return Workspace(root)


def _cases() -> list:
    cases = []
    for truth in TRUTH:
        for tool in truth.tools:
            for cc in TOOLS[tool][2]:
                marks = [pytest.mark.clang] if cc == "clang" else []
                case_id = f"{truth.target}-{tool}-{cc}"
                cases.append(pytest.param(truth, tool, cc, marks=marks, id=case_id))
    return cases


def _tool_run(workspace: Workspace, tool: str, cc: str) -> ToolRun:
    if cc == "clang" and not clang_works():
        pytest.skip("clang with its sanitizer runtimes is not installed")
    return workspace.run(tool, cc)


def _benign_inputs(truth: SampleTruth) -> list[str]:
    names = sorted(path.name for path in truth.inputs_dir().iterdir() if path.is_file())
    return [name for name in names if name not in truth.triggering_inputs]


def _findings_of(triage: dict, target: str, input_name: str | None = None) -> list[dict]:
    prefix = f"samples/{target}/inputs/{input_name or ''}"
    return [
        finding
        for finding in triage["findings"]
        if any((report["input"] or "").startswith(prefix) for report in finding["reports"])
    ]


def _summary(findings: list[dict]) -> list[tuple]:
    return [(f["kind"], f["access"], f["tools"], f["title"]) for f in findings]


@pytest.mark.parametrize(("truth", "tool", "cc"), _cases())
def test_triggering_inputs_are_reported_at_the_root_cause(
    workspace: Workspace, truth: SampleTruth, tool: str, cc: str
):
    run = _tool_run(workspace, tool, cc)
    for name in truth.triggering_inputs:
        where = f"{tool} {cc} {truth.target} {name}"
        log = run.log_text(run.job(truth.target, name))
        for header in truth.headers_for(tool):
            assert header in log, f"{where}: no '{header}'"
        assert truth.root_function is not None
        assert truth.root_function in log, f"{where}: no frame in {truth.root_function}"

        findings = _findings_of(run.triage, truth.target, name)
        assert len(findings) == 1, (where, _summary(findings))
        finding = findings[0]
        assert finding["kind"] == truth.kind and tool in finding["tools"], where
        if truth.access:
            assert finding["access"] == truth.access, where
        assert truth.root_function in [frame["key"] for frame in finding["frames"]], where


@pytest.mark.parametrize(("truth", "tool", "cc"), _cases())
def test_benign_inputs_report_nothing(workspace: Workspace, truth: SampleTruth, tool: str, cc: str):
    run = _tool_run(workspace, tool, cc)
    for name in _benign_inputs(truth):
        where = f"{tool} {cc} {truth.target} {name}"
        job = run.job(truth.target, name)
        log = run.log_text(job)

        assert not [m for m in TOOL_ERROR_MARKERS[tool] if m in log], f"{where}: {log}"
        assert job.signal is None and not job.timed_out, where
        assert not _findings_of(run.triage, truth.target, name), where


@pytest.mark.parametrize(("truth", "tool", "cc"), _cases())
def test_each_tool_makes_the_expected_number_of_findings(
    workspace: Workspace, truth: SampleTruth, tool: str, cc: str
):
    findings = _findings_of(_tool_run(workspace, tool, cc).triage, truth.target)

    assert len(findings) == truth.expected_count, _summary(findings)
    assert {finding["status"] for finding in findings} <= {"new", "open"}


SHARED = [truth for truth in TRUTH if len(truth.tools) > 1]


@pytest.mark.parametrize("truth", SHARED, ids=lambda truth: truth.target)
def test_a_bug_two_tools_see_is_one_finding_listing_both(workspace: Workspace, truth: SampleTruth):
    # Each tool with the first compiler it runs on: memcheck only has gcc, MSan
    # only clang, and a finding's id does not depend on the compiler's name.
    runs = [_tool_run(workspace, tool, TOOLS[tool][2][0]) for tool in truth.tools]
    both = workspace.triage(*(run.run_dir for run in runs))
    findings = _findings_of(both, truth.target)

    assert len(findings) == truth.expected_count == 1, _summary(findings)
    finding = findings[0]
    assert sorted(finding["tools"]) == sorted(truth.tools)
    assert finding["kind"] == truth.kind
    assert truth.root_function in [frame["key"] for frame in finding["frames"]]
    for run in runs:
        (alone,) = _findings_of(run.triage, truth.target)
        assert alone["id"] == finding["id"], (run.tool, alone["title"], finding["title"])
    inputs = {report["input"].rsplit("/", 1)[-1] for report in finding["reports"]}
    assert inputs == set(truth.triggering_inputs)
    assert finding["count"] >= len(truth.triggering_inputs) * len(truth.tools)
