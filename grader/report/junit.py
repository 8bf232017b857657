"""JUnit XML export: a testsuite per submission, a testcase per test, for CI dashboards."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from grader.report.excerpt import clean_text
from grader.result import Result, TestResult

__all__ = ["to_junit_xml", "xml_safe"]

# Characters XML 1.0 does not allow, even escaped.
_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str | None) -> str:
    """Text with terminal escapes removed and every character XML 1.0 cannot carry made visible."""
    if text is None:
        return ""
    cleaned = clean_text(text)[0]
    return _ILLEGAL_XML.sub(lambda m: f"\\u{ord(m.group(0)):04x}", cleaned)


def _details(test: TestResult) -> str:
    lines: list[str] = []
    if test.message:
        lines.append(test.message)
    for diagnosis in test.diagnoses:
        lines.append(f"why: {diagnosis.message}")
    for check in test.checks:
        lines.append(f"[{check.status}] {check.kind}: {check.message}")
        if check.total_runs > 1:
            lines.append(f"  held in {check.passed_runs} of {check.total_runs} runs")
        if check.expected is not None:
            lines.append(f"  expected: {check.expected}")
        if check.observed is not None:
            lines.append(f"  observed: {check.observed}")
    return xml_safe("\n".join(lines))


def _first_failure(test: TestResult) -> tuple[str, str]:
    """(message, type) of the first check that did not pass."""
    for check in test.checks:
        if check.status != "passed":
            return check.message, check.kind
    return test.message or test.status, test.status


def _suite(result: Result) -> ET.Element:
    tests = result.tests
    failures = sum(1 for t in tests if t.status in ("failed", "flaky"))
    errors = sum(1 for t in tests if t.status == "error") + (1 if result.error else 0)
    suite = ET.Element("testsuite", {
        "name": xml_safe(result.submission),
        "tests": str(len(tests) + (1 if result.error else 0)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": "0",
        "time": f"{result.duration_ms / 1000.0:.3f}",
        "timestamp": xml_safe(result.graded_at.removesuffix("Z")),
    })
    props = ET.SubElement(suite, "properties")
    for name, value in (("assignment", result.assignment_id), ("score", f"{result.score:g}"),
                        ("max_score", f"{result.max_score:g}"), ("submission_hash", result.submission_hash),
                        ("grader_version", result.grader_version)):
        ET.SubElement(props, "property", {"name": name, "value": xml_safe(value)})
    classname = xml_safe(f"{result.assignment_id}.{result.submission}")
    if result.error:
        case = ET.SubElement(suite, "testcase", {"classname": classname, "name": "grader", "time": "0"})
        error = ET.SubElement(case, "error", {"message": xml_safe(result.error), "type": "grader"})
        error.text = xml_safe(result.error)
    for test in tests:
        wall = sum(run.wall_ms for run in test.runs) / 1000.0
        case = ET.SubElement(suite, "testcase", {"classname": classname, "name": xml_safe(test.name),
                                                 "time": f"{wall:.3f}"})
        if test.status == "passed":
            continue
        message, kind = _first_failure(test)
        if test.status == "flaky":
            message = f"flaky: {message}"
        tag = "error" if test.status == "error" else "failure"
        element = ET.SubElement(case, tag, {"message": xml_safe(message), "type": xml_safe(kind)})
        element.text = _details(test)
    return suite


def to_junit_xml(results: list[Result]) -> str:
    """One <testsuites> document for all `results`, UTF-8 with an XML declaration."""
    root = ET.Element("testsuites", {
        "name": "grader",
        "tests": str(sum(len(r.tests) + (1 if r.error else 0) for r in results)),
        "failures": str(sum(1 for r in results for t in r.tests if t.status in ("failed", "flaky"))),
        "errors": str(sum(1 for r in results for t in r.tests if t.status == "error")
                      + sum(1 for r in results if r.error)),
    })
    for result in results:
        root.append(_suite(result))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
