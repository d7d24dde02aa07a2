"""`harness report`: the store's findings as report files, after a nightly over a
real git repository (see test_nightly for the sample)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.nightly_sample import Origin, checkout, cli, make_origin
from tests.smtp_server import free_port

pytestmark = pytest.mark.skipif(not shutil.which("gcc"), reason="gcc is not installed")

EXTENSIONS = ("md", "html", "json", "sarif", "xml")


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    return make_origin(tmp_path_factory.mktemp("origin"))


@pytest.fixture(scope="module")
def night(origin: Origin, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone whose store holds commit 2's heap overflow (no mail: --no-mail)."""
    root = tmp_path_factory.mktemp("report")
    checkout(origin, root, 2, free_port())
    code, _, err = cli(root, "nightly", "--no-mail", "-j", "2")
    assert code == 1, err
    return root


def test_report_format_all_writes_every_format(night: Path, origin: Origin):
    code, out, err = cli(night, "report", "--format", "all")
    assert code == 0, err
    folder = night / "reports"
    assert out.split() == [str(folder / f"report.{ext}") for ext in EXTENSIONS]
    doc = json.loads((folder / "report.json").read_text())
    assert doc["schema"] == "harness.triage/1"
    assert doc["commit"] == origin.shas[1]
    (finding,) = doc["findings"]
    assert finding["title"].startswith("heap-buffer-overflow WRITE in parse_record")
    assert finding["status"] == "new"
    assert finding["first_seen"] == origin.shas[1]
    assert finding["count"] == 1
    assert finding["reports"][0]["input"] == "inputs/long.txt"
    sarif = json.loads((folder / "report.sarif").read_text())
    (result,) = sarif["runs"][0]["results"]
    assert result["partialFingerprints"]
    suite = ET.parse(folder / "report.xml").getroot()
    assert suite.get("failures") == "1"
    html = (folder / "report.html").read_text()
    assert finding["id"] in html and origin.shas[1][:12] in html
    assert "parse\\_record" in (folder / "report.md").read_text()


def test_report_one_format_into_another_folder(night: Path, tmp_path: Path):
    code, out, err = cli(night, "report", "--format", "junit", "-o", str(tmp_path))
    assert code == 0, err
    assert out.strip() == str(tmp_path / "report.xml")
    assert list(tmp_path.iterdir()) == [tmp_path / "report.xml"]


def test_report_since_a_commit_of_the_branch(night: Path, tmp_path: Path):
    code, _, err = cli(night, "report", "--format", "json", "--since", "HEAD", "-o", str(tmp_path))
    assert code == 0, err
    assert len(json.loads((tmp_path / "report.json").read_text())["findings"]) == 1
    code, _, err = cli(night, "report", "--since", "no-such-rev", "-o", str(tmp_path))
    assert code == 2
    assert "no-such-rev" in err


def test_report_without_a_store_says_what_to_do(tmp_path: Path):
    (tmp_path / "harness.toml").write_text('[project]\nname = "empty"\n')
    code, _, err = cli(tmp_path, "report")
    assert code == 2
    assert "harness triage" in err
