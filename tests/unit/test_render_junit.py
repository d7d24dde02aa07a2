"""JUnit XML output: one test case per finding, failing while the finding needs attention."""

import xml.etree.ElementTree as ET

from harness.render.junit import render_junit
from tests.unit.render_samples import sample_view


def cases() -> dict[str, ET.Element]:
    root = ET.fromstring(render_junit(sample_view()))
    return {case.get("name", "").split(" ")[0]: case for case in root.iter("testcase")}


def test_suite_counts_match_the_cases():
    root = ET.fromstring(render_junit(sample_view()))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "harness"
    # new, regressed and untracked fail; fixed passes; muted is skipped.
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "3", "1")


def test_each_case_is_named_after_its_finding():
    case = cases()["a1b2c3d4e5f6"]
    assert case.get("classname") == "harness.heap-buffer-overflow"
    assert case.get("name") == "a1b2c3d4e5f6 heap-buffer-overflow WRITE in parse_header ‹ main"


def test_active_findings_fail_with_the_top_stack():
    by_id = cases()
    failure = by_id["a1b2c3d4e5f6"].find("failure")
    assert failure is not None
    assert failure.get("type") == "heap-buffer-overflow"
    assert failure.get("message", "").startswith("heap-buffer-overflow WRITE")
    text = failure.text or ""
    assert "#1 parse_header /home/dev/proj/src/parse.c:12:5" in text
    assert "read_file" not in text  # the alloc stack is not the top stack
    assert by_id["0f0e0d0c0b0a"].find("failure") is not None
    assert by_id["bbbbccccdddd"].find("failure") is not None  # no store: untracked


def test_leak_failure_shows_the_allocation_stack():
    from tests.unit.render_samples import leak

    root = ET.fromstring(render_junit(sample_view([leak(status="open")])))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and "make_buffer /tmp/elsewhere/buf.c:3" in (failure.text or "")


def test_fixed_passes_and_muted_is_skipped():
    by_id = cases()
    fixed = by_id["777788889999"]
    assert fixed.find("failure") is None and fixed.find("skipped") is None
    muted = by_id["5555aaaa5555"]
    assert muted.find("failure") is None and muted.find("skipped") is not None
