"""`harness triage` with `[triage] suppressions`, through the CLI: the leak
samples built with gcc AddressSanitizer and run by `harness run`, plus real
gcc runtime logs. A suppressed report hides its finding, triage says how many
reports each rule hid and warns about a rule that hides many findings, and
no log is touched. Suppression is applied again to what the store holds, so
taking a rule out brings its finding back."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from harness import cli
from tests.samples_truth import REPO

TARGETS = ("leak_direct", "leak_indirect")
RUNTIME_LOGS = REPO / "tests" / "data" / "logs" / "gcc"
RULES = "# leaks the team accepts\nleak:normalize\n\nharness-file:bugs.c\n"


def _targets() -> str:
    return "\n".join(
        f'[[target]]\nname = "{name}"\nsources = ["samples/{name}/main.c"]\n'
        f'inputs = "samples/{name}/inputs"\n'
        for name in TARGETS
    )


def _config(suppressions: bool) -> str:
    """The triage project's harness.toml (its logs come from elsewhere: no targets)."""
    return '[triage]\nsuppressions = "harness.supp"\n' if suppressions else "[triage]\n"


@pytest.fixture(scope="session")
def leak_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The leak samples built and run once: the project's logs/ folder."""
    root = tmp_path_factory.mktemp("leak-samples")
    for name in TARGETS:
        shutil.copytree(REPO / "samples" / name, root / "samples" / name)
    (root / "harness.toml").write_text(_targets())
    assert cli.main(["-C", str(root), "build", "--asan", "--cc", "gcc"]) == 0
    assert cli.main(["-C", str(root), "run", "--cc", "gcc"]) == 0
    return root / "logs"


@pytest.fixture
def project(tmp_path: Path, leak_runs: Path) -> Path:
    shutil.copytree(leak_runs, tmp_path / "logs")
    more = tmp_path / "more"
    more.mkdir()
    for log in RUNTIME_LOGS.glob("*.log"):
        shutil.copy2(log, more / log.name)
    (tmp_path / "harness.toml").write_text(_config(suppressions=False))
    (tmp_path / "harness.supp").write_text(RULES)
    return tmp_path


def _triage(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[dict, str]:
    paths = [str(root / "logs"), str(root / "more")]
    code = cli.main(["-C", str(root), "triage", *paths, "--format", "json", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out), captured.err


def _hashes(root: Path) -> dict[Path, str]:
    files = [p for folder in ("logs", "more") for p in (root / folder).rglob("*") if p.is_file()]
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _in_normalize(doc: dict) -> list[dict]:
    return [f for f in doc["findings"] if f["kind"] == "leak" and "normalize" in f["title"]]


def _from_bugs_c(doc: dict) -> set[str]:
    """Findings with a frame in bugs.c (a superset of what harness-file:bugs.c hides:
    the rule reads the whole deciding stack, these are only its top frames)."""
    return {
        f["id"]
        for f in doc["findings"]
        if any((frame["file"] or "").endswith("/bugs.c") for frame in f["frames"])
    }


def test_suppressed_reports_leave_the_findings_and_the_logs_alone(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    before, err = _triage(capsys, project, "--no-store")
    assert "suppressed" not in err
    (leak,) = _in_normalize(before)
    broad = _from_bugs_c(before)
    assert len(broad) > 5
    hashes = _hashes(project)

    (project / "harness.toml").write_text(_config(suppressions=True))
    after, err = _triage(capsys, project)
    ids = {f["id"] for f in after["findings"]}
    assert _in_normalize(after) == []
    assert leak["id"] not in ids
    assert any("parse_contact" in f["title"] for f in after["findings"])  # other leaks stay
    assert not ids & broad
    hidden = len(before["findings"]) - len(after["findings"]) - 1
    assert hidden > 5
    assert f"harness.supp:2: 'leak:normalize' suppressed {leak['count']} reports (1 finding)" in err
    assert f"warning: {project / 'harness.supp'}:4: rule 'harness-file:bugs.c' hides" in err
    assert f"hides {hidden} distinct findings" in err
    assert "leak:normalize' hides" not in err
    assert after["suppressed"]["reports"] == before["stats"]["reports"] - _shown_reports(after)
    assert after["stats"]["reports"] == before["stats"]["reports"]
    assert _hashes(project) == hashes

    # From the store: the same findings, the same counts, no log read again.
    again, err_again = _triage(capsys, project)
    assert {f["id"] for f in again["findings"]} == ids
    assert all(f["status"] == "new" for f in again["findings"])
    assert err_again == err

    # Taking the rules out brings the findings back, from what the store kept.
    (project / "harness.toml").write_text(_config(suppressions=False))
    back, err_back = _triage(capsys, project)
    assert "suppressed" not in err_back
    (returned,) = _in_normalize(back)
    assert returned["id"] == leak["id"] and returned["count"] == leak["count"]
    assert returned["status"] == "new"
    assert {f["id"] for f in back["findings"]} == {f["id"] for f in before["findings"]}
    assert _hashes(project) == hashes


def _shown_reports(doc: dict) -> int:
    return sum(f["count"] for f in doc["findings"])


def test_a_bad_rule_is_a_configuration_error_naming_its_line(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    (project / "harness.supp").write_text("leak:normalize\nleek:parse_contact\n")
    (project / "harness.toml").write_text(_config(suppressions=True))
    code = cli.main(["-C", str(project), "triage", str(project / "logs")])
    err = capsys.readouterr().err
    assert code == 2
    assert "harness.supp" in err and ":2" in err and "leak" in err
