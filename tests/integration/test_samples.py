"""The samples, built by `harness build --asan` and run by `harness run`, with gcc and clang.

Each compiler builds and runs a copy of samples/ and harness.toml once per
session. Every triggering input's logs must hold the sanitizer report of the
kind the ground truth names, pointing at its root-cause line; every other
input must run clean.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.cli import main
from harness.config import load as load_config
from harness.model import Job
from tests.helpers import clang_works
from tests.samples_truth import ERROR_MARKERS, REPO, SampleTruth, load_truth

# Extension modules run under an interpreter and carry a second bug; their
# own tests are in test_run_modes.py. Samples whose bug only other tools find
# (no `asan` in the table's tools column) are checked in test_samples_tools.py.
EXTENSIONS = {t.name for t in load_config(REPO / "harness.toml").targets if t.kind != "program"}
TRUTH = tuple(
    truth for truth in load_truth() if truth.target not in EXTENSIONS and "asan" in truth.tools
)
ASAN_TARGETS = {truth.target for truth in TRUTH}
TWO_CALLERS = [truth for truth in TRUTH if "one per caller" in truth.expected_findings]
FRAME = re.compile(r"#\d+ 0x[0-9a-f]+ in (\S+)")


@dataclass(frozen=True)
class SampleRun:
    """One compiler's build and run of the samples."""

    cc: str
    root: Path
    run_dir: Path
    jobs: tuple[Job, ...]

    def job(self, target: str, input_name: str) -> Job:
        wanted = f"samples/{target}/inputs/{input_name}"
        matches = [job for job in self.jobs if job.target == target and job.input == wanted]
        assert len(matches) == 1, f"{self.cc}: {len(matches)} jobs for {wanted}"
        return matches[0]

    def log_text(self, job: Job) -> str:
        """Every log the job lists, one after the other."""
        return "\n".join(
            (self.run_dir / log).read_bytes().decode("utf-8", errors="replace") for log in job.logs
        )


def _build_and_run(root: Path, cc: str) -> SampleRun:
    shutil.copytree(REPO / "samples", root / "samples")
    shutil.copy2(REPO / "harness.toml", root / "harness.toml")
    assert main(["-C", str(root), "build", "--asan", "--cc", cc]) == 0
    assert main(["-C", str(root), "run", "--cc", cc]) == 0
    runs = sorted(path.parent for path in (root / "logs").glob("*/runs.jsonl"))
    assert len(runs) == 1, f"expected one run folder, found {runs}"
    lines = (runs[0] / "runs.jsonl").read_text(encoding="utf-8").splitlines()
    jobs = tuple(Job.from_json(json.loads(line)) for line in lines if line.strip())
    return SampleRun(cc=cc, root=root, run_dir=runs[0], jobs=jobs)


@pytest.fixture(scope="session", params=["gcc", pytest.param("clang", marks=pytest.mark.clang)])
def sample_run(request: pytest.FixtureRequest, tmp_path_factory) -> SampleRun:
    cc = request.param
    if cc == "clang" and not clang_works():
        pytest.skip("clang with its AddressSanitizer runtime is not installed")
    return _build_and_run(tmp_path_factory.mktemp(f"samples-{cc}"), cc)


def _target_id(truth: SampleTruth) -> str:
    return truth.target


def _benign_inputs(truth: SampleTruth) -> list[str]:
    names = sorted(path.name for path in truth.inputs_dir().iterdir() if path.is_file())
    return [name for name in names if name not in truth.triggering_inputs]


def _caller(truth: SampleTruth, log: str) -> str | None:
    """The function that called the root-cause function in the first stack of `log`."""
    assert truth.root_function is not None
    frames = FRAME.findall(log)
    for index, function in enumerate(frames[:-1]):
        if function.startswith(truth.root_function):
            return frames[index + 1]
    return None


def test_every_target_is_built_and_every_input_run_once(sample_run: SampleRun):
    build_dir = sample_run.root / "build" / f"{sample_run.cc}-asan"
    expected = {
        (truth.target, f"samples/{truth.target}/inputs/{path.name}")
        for truth in TRUTH
        for path in truth.inputs_dir().iterdir()
    }
    ran = [(job.target, job.input) for job in sample_run.jobs if job.target in ASAN_TARGETS]

    assert json.loads((build_dir / "build.json").read_text())["cc"] == sample_run.cc
    for truth in TRUTH:
        assert (build_dir / truth.target).is_file(), truth.target
    assert sorted(ran) == sorted(expected)
    assert not [job for job in sample_run.jobs if job.timed_out]


@pytest.mark.parametrize("truth", [t for t in TRUTH if t.triggering_inputs], ids=_target_id)
def test_triggering_inputs_report_the_expected_kind_at_the_root_cause(
    sample_run: SampleRun, truth: SampleTruth
):
    location = re.compile(re.escape(f"{truth.root_file}:{truth.root_line}") + r"\b")
    for name in truth.triggering_inputs:
        job = sample_run.job(truth.target, name)
        log = sample_run.log_text(job)
        where = f"{sample_run.cc} {truth.target} {name}"

        for header in truth.report_headers:
            assert header in log, f"{where}: no '{header}' in {job.logs}"
        assert location.search(log), f"{where}: no frame at {truth.root_file}:{truth.root_line}"
        assert job.exit_code != 0 or job.signal is not None, where
        if truth.kind == "leak" and "indirect" not in truth.expected_findings:
            assert "Indirect leak of" not in log, where


@pytest.mark.parametrize("truth", TRUTH, ids=_target_id)
def test_benign_inputs_run_clean(sample_run: SampleRun, truth: SampleTruth):
    for name in _benign_inputs(truth):
        job = sample_run.job(truth.target, name)
        log = sample_run.log_text(job)
        where = f"{sample_run.cc} {truth.target} {name}"

        assert not [marker for marker in ERROR_MARKERS if marker in log], f"{where}: {log}"
        assert (job.exit_code, job.signal) == (0, None), where


@pytest.mark.parametrize("truth", TWO_CALLERS, ids=_target_id)
def test_two_caller_targets_reach_the_bug_from_two_functions(
    sample_run: SampleRun, truth: SampleTruth
):
    callers = {
        _caller(truth, sample_run.log_text(sample_run.job(truth.target, name)))
        for name in truth.triggering_inputs
    }

    assert None not in callers
    assert len(callers) == 2, f"{sample_run.cc} {truth.target}: callers {callers}"


@pytest.fixture(scope="session")
def sample_triage(sample_run: SampleRun) -> dict:
    """`harness triage --format json` over the run folder, into a fresh store."""
    out = sample_run.root / "triage.json"
    argv = ["-C", str(sample_run.root), "triage", str(sample_run.run_dir)]
    assert main([*argv, "--format", "json", "-o", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _findings_of(triage: dict, target: str) -> list[dict]:
    prefix = f"samples/{target}/inputs/"
    return [
        finding
        for finding in triage["findings"]
        if any((report["input"] or "").startswith(prefix) for report in finding["reports"])
    ]


@pytest.mark.parametrize("truth", TRUTH, ids=_target_id)
def test_triage_makes_exactly_the_expected_findings(sample_triage: dict, truth: SampleTruth):
    findings = _findings_of(sample_triage, truth.target)
    summary = [(f["kind"], f["access"], f["title"]) for f in findings]

    assert len(findings) == truth.expected_count, summary
    for finding in findings:
        assert finding["kind"] == truth.kind, summary
        assert finding["status"] == "new"
        if truth.access:
            assert finding["access"] == truth.access, summary
        if truth.kind != "stack-overflow":
            keys = [frame["key"] for frame in finding["frames"]]
            assert truth.root_function in keys, (truth.root_function, keys)
    if truth.kind == "leak":
        expected = {"direct", "indirect"} if "indirect" in truth.expected_findings else {"direct"}
        assert {f["leak"] for f in findings} == expected


# What each leak finding of a sample leaked over all its triggering inputs
# (samples/README.md): leak_direct's strdup'ed copies of "/../etc/passwd" (15
# bytes) and of "/a/../../b", "/../.." and "/x/y/z/../../../.." (11 + 7 + 19);
# leak_indirect's three 32-byte contacts, each holding its strdup'ed name
# ("Bjarne", "Margaret", "Katherine": 7 + 9 + 10 bytes).
LEAKED = {
    "leak_direct": {"direct": (52, 4)},
    "leak_indirect": {"direct": (96, 3), "indirect": (26, 3)},
}


def test_leak_findings_total_the_samples_leaked_bytes_also_from_the_store(
    sample_run: SampleRun, sample_triage: dict
):
    out = sample_run.root / "triage-again.json"
    argv = ["-C", str(sample_run.root), "triage", str(sample_run.run_dir)]
    assert main([*argv, "--format", "json", "-o", str(out)]) == 0
    again = json.loads(out.read_text(encoding="utf-8"))

    for target, expected in LEAKED.items():
        for triage in (sample_triage, again):
            findings = _findings_of(triage, target)
            leaked = {f["leak"]: (f["leak_bytes"], f["leak_objects"]) for f in findings}
            assert leaked == expected, (sample_run.cc, target)


def test_no_finding_mixes_two_targets(sample_triage: dict):
    for finding in sample_triage["findings"]:
        targets = {(r["input"] or "").split("/")[1] for r in finding["reports"]}
        assert len(targets) == 1, (finding["title"], targets)


def test_benign_inputs_make_no_finding(sample_triage: dict):
    benign = {
        f"samples/{truth.target}/inputs/{name}" for truth in TRUTH for name in _benign_inputs(truth)
    }
    inputs = {r["input"] for finding in sample_triage["findings"] for r in finding["reports"]}

    assert not inputs & benign
