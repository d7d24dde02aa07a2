"""SARIF output: schema-valid, one rule per kind, results located in the project's sources."""

import json
from pathlib import Path

import jsonschema
import pytest

from harness.render.sarif import FINGERPRINT, render_sarif
from tests.unit.render_samples import ROOT, all_findings, overflow, sample_view

SCHEMA = Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SCHEMA.read_text()))


def results_by_id(log: dict) -> dict[str, dict]:
    return {r["partialFingerprints"][FINGERPRINT]: r for r in log["runs"][0]["results"]}


def test_output_is_valid_against_the_official_schema(validator):
    log = json.loads(render_sarif(sample_view()))
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])
    assert log["version"] == "2.1.0"


def test_an_empty_view_is_valid_too(validator):
    log = json.loads(render_sarif(sample_view([])))
    validator.validate(log)
    assert log["runs"][0]["results"] == []


def test_one_rule_per_kind_and_results_point_at_their_rule():
    log = json.loads(render_sarif(sample_view()))
    driver = log["runs"][0]["tool"]["driver"]
    rules = driver["rules"]
    assert driver["name"] == "harness" and driver["version"]
    assert [rule["id"] for rule in rules] == sorted({f.kind for f in all_findings()})
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    overflow_rule = rules[[r["id"] for r in rules].index("heap-buffer-overflow")]
    assert overflow_rule["defaultConfiguration"]["level"] == "error"
    assert overflow_rule["name"] == "HeapBufferOverflow"
    assert "security" in overflow_rule["properties"]["tags"]


def test_levels_follow_severity_and_message_is_the_title():
    results = results_by_id(json.loads(render_sarif(sample_view())))
    assert results["a1b2c3d4e5f6"]["level"] == "error"
    assert results["777788889999"]["level"] == "note"
    assert results["a1b2c3d4e5f6"]["message"]["text"] == overflow().title


def test_location_is_the_first_project_frame_relative_to_the_root():
    results = results_by_id(json.loads(render_sarif(sample_view())))
    physical = results["a1b2c3d4e5f6"]["locations"][0]["physicalLocation"]
    # Frame #0 is the sanitizer's interceptor in /usr/lib; #1 is the project's.
    assert physical["artifactLocation"] == {"uri": "src/parse.c", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 12, "startColumn": 5}


def test_build_relative_paths_lose_their_leading_parents():
    results = results_by_id(json.loads(render_sarif(sample_view())))
    physical = results["0f0e0d0c0b0a"]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "ui/widget.cc"
    assert physical["region"]["startLine"] == 88


def test_runtime_frames_are_skipped_and_outside_files_are_absolute():
    results = results_by_id(json.loads(render_sarif(sample_view())))
    artifact = results["777788889999"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "file:///tmp/elsewhere/buf.c"}
    assert "locations" not in results["5555aaaa5555"]


def test_root_is_the_srcroot_base():
    log = json.loads(render_sarif(sample_view()))
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == f"file://{ROOT}/"


def test_stacks_and_properties_are_attached():
    result = results_by_id(json.loads(render_sarif(sample_view())))["0f0e0d0c0b0a"]
    assert [s["message"]["text"] for s in result["stacks"]] == [
        "crash",
        "free",
        "alloc (thread T1)",
    ]
    free_frames = result["stacks"][1]["frames"]
    assert free_frames[0]["location"]["logicalLocations"][0]["name"] == "operator delete(void*)"
    props = result["properties"]
    assert props["status"] == "regressed" and props["count"] == 1 and props["tools"] == ["asan"]
    assert props["severity"] == "high" and props["security"] is True


def test_first_seen_and_count_come_from_the_view():
    props = results_by_id(json.loads(render_sarif(sample_view())))["a1b2c3d4e5f6"]["properties"]
    assert props["firstSeen"].startswith("fedcba98")
    assert props["count"] == 3


def test_output_does_not_depend_on_input_order():
    findings = all_findings()
    assert render_sarif(sample_view(findings)) == render_sarif(sample_view(findings[::-1]))
