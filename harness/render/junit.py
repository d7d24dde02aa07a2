"""JUnit XML output: one test case per finding, for CI systems that show test results.

A finding fails while it needs attention (new, open, regressed, or untracked),
passes once fixed, and is skipped while muted. ElementTree does the XML escaping;
`escape.clean` first drops the characters XML 1.0 cannot carry at all.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.render.escape import clean
from harness.render.view import (
    FindingView,
    Problem,
    ReportView,
    deciding_stack,
    format_stack,
)


def render_junit(view: ReportView) -> str:
    """The JUnit XML document for `view`."""
    cases = [_problem_case(problem) for problem in view.problems]
    cases += [_testcase(item) for item in view.findings]
    failures = sum(1 for case in cases if case.find("failure") is not None)
    skipped = sum(1 for case in cases if case.find("skipped") is not None)
    errors = sum(1 for case in cases if case.find("error") is not None)
    counts = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": str(skipped),
    }
    suites = ET.Element("testsuites", {"name": "harness", **counts})
    suite = ET.SubElement(
        suites, "testsuite", {"name": "harness", **counts, "timestamp": clean(view.generated)}
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (("project", view.project), ("commit", view.commit)):
        if value:
            ET.SubElement(properties, "property", {"name": name, "value": clean(value)})
    suite.extend(cases)
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _problem_case(problem: Problem) -> ET.Element:
    """A step the harness could not do (a failed build) is an error, not a finding."""
    case = ET.Element("testcase", {"classname": "harness.problem", "name": clean(problem.title)})
    error = ET.SubElement(case, "error", {"message": clean(problem.title)})
    error.text = clean(problem.detail)
    return case


def _testcase(item: FindingView) -> ET.Element:
    finding = item.finding
    case = ET.Element(
        "testcase",
        {
            "classname": f"harness.{clean(finding.kind)}",
            "name": clean(f"{finding.id} {finding.title}"),
        },
    )
    if item.status == "muted":
        ET.SubElement(case, "skipped", {"message": "muted"})
    elif item.active:
        failure = ET.SubElement(
            case, "failure", {"message": clean(finding.title), "type": clean(finding.kind)}
        )
        failure.text = _failure_text(item)
    return case


def _failure_text(item: FindingView) -> str:
    finding = item.finding
    lines = [
        f"{finding.severity} severity{', security' if finding.security else ''}; "
        f"status {item.status or 'untracked'}; first seen {item.first_seen or 'unknown'}; "
        f"{item.count} report(s) from {', '.join(finding.tools)}"
    ]
    report = item.representative
    stack = deciding_stack(report) if report else None
    if report is not None:
        lines.append(report.headline)
    if stack is not None:
        lines.append(format_stack(stack))
    return clean("\n".join(lines))
