"""The one JUnit writer (grader.report.junit): `run --junit`, `validate --junit` and a batch's junit.xml,
checked against Ant's JUnit.xsd and Jenkins' junit-10.xsd (copies in tests/data/junit, sources named there)."""

from __future__ import annotations

import copy
import inspect
import json
from pathlib import Path

import pytest
from lxml import etree

import grader.validate
from grader.batch import gradebook
from grader.report.junit import junit_timestamp, to_junit_xml
from grader.result import Result
from grader.validate import CheckVerdict, ValidationRow, to_junit

DATA = Path(__file__).resolve().parents[1] / "data"
RESULTS = sorted((DATA / "results").glob("*.json"))
ANT = etree.XMLSchema(etree.parse(str(DATA / "junit" / "JUnit.xsd")))
JENKINS = etree.XMLSchema(etree.parse(str(DATA / "junit" / "junit-10.xsd")))


def _results() -> list[Result]:
    loaded = [Result.from_json(json.loads(p.read_text(encoding="utf-8"))) for p in RESULTS]
    # What a batch stores for a refused archive: no assignment id, graded_at with an offset.
    refused = Result(assignment_id="", assignment_title="", submission="s24_tom", score=0, max_score=0,
                     error="Your submission could not be taken in: 'tom.zip' is not a readable zip archive",
                     graded_at="2026-03-01T09:30:00+00:00")
    for result in loaded:
        result.graded_at = result.graded_at or "2026-03-01T00:00:00"     # "" would be "now" in each document
    loaded[0].graded_at = "2026-03-01T18:30:05+09:00"
    return [*loaded, refused]


def _rows() -> list[ValidationRow]:
    bad = ValidationRow(assignment="fork-hello", source="assignments/fork-hello/assignment.yaml", role="faulty",
                        solution="faulty/no_wait.py", ok=False, detail="declared but not failed: waits::process.reaped",
                        declared=["process.reaped"], duration_ms=1234,
                        checks=[CheckVerdict("waits", "waits::process.reaped", "process.reaped", "fail", "passed",
                                             "every child was reaped <&>")])
    good = ValidationRow(assignment="fork-hello", source="assignments/fork-hello/assignment.yaml",
                         role="reference", solution="solution/hello.py", ok=True, detail="full marks", duration_ms=800)
    schema = ValidationRow(assignment="broken.yaml", source="broken.yaml", role="schema", solution="broken.yaml",
                           ok=False, detail="broken.yaml:3: language: expected python or c")
    return [good, bad, schema]


def _assert_valid(xml: str) -> etree._Element:
    doc = etree.fromstring(xml.encode("utf-8"))
    JENKINS.assertValid(doc)
    # Ant's aggregated <testsuites> declares no attributes; the totals on it are what Jenkins, GitLab and
    # Surefire read, so everything below the root is held to Ant's schema as it is.
    bare = copy.deepcopy(doc)
    for name in list(bare.attrib):
        del bare.attrib[name]
    ANT.assertValid(bare)
    return doc


@pytest.mark.parametrize("kind", ["run", "validate"])
def test_every_writer_passes_both_schemas(kind: str) -> None:
    xml = to_junit_xml(_results()) if kind == "run" else to_junit(_rows())
    doc = _assert_valid(xml)
    assert doc.get("time") is not None and float(doc.get("time", "x")) >= 0
    for suite in doc.iter("testsuite"):
        assert "+" not in suite.get("timestamp", "+") and not suite.get("timestamp", "").endswith("Z")
    for case in doc.iter("testcase"):
        assert not case.get("classname", ".").startswith(".")


def test_the_schemas_refuse_what_the_old_writers_wrote() -> None:
    """The check can fail: an offset timestamp, `skipped` on a suite, system-out in a case are refused."""
    doc = etree.fromstring(to_junit_xml(_results()).encode("utf-8"))
    for name in list(doc.attrib):
        del doc.attrib[name]
    suite = doc.find("testsuite")
    assert suite is not None
    for change in ({"timestamp": "2026-03-01T09:30:00+00:00"}, {"skipped": "0"}):
        broken = copy.deepcopy(doc)
        target = broken.find("testsuite")
        assert target is not None
        target.attrib.update(change)
        assert not ANT.validate(broken), change
    broken = copy.deepcopy(doc)
    case = broken.find("testsuite/testcase")
    assert case is not None
    etree.SubElement(case, "system-out").text = "ok"
    assert not ANT.validate(broken)


def test_refused_submission_has_no_leading_dot_and_a_utc_timestamp() -> None:
    doc = etree.fromstring(to_junit_xml(_results(), hostname="ci").encode("utf-8"))
    suites = doc.findall("testsuite")
    refused = suites[-1]
    assert refused.get("name") == "s24_tom" and refused.get("hostname") == "ci"
    assert refused.get("timestamp") == "2026-03-01T09:30:00"
    assert [c.get("classname") for c in refused.iter("testcase")] == ["s24_tom"]
    assert refused.find("testcase/error") is not None and refused.get("errors") == "1"
    assert suites[0].get("timestamp") == "2026-03-01T09:30:05"            # +09:00 converted to UTC
    assert [s.get("id") for s in suites] == [str(i) for i in range(len(suites))]
    assert doc.get("tests") == str(sum(int(s.get("tests", "0")) for s in suites))


@pytest.mark.parametrize(("given", "expected"), [
    ("2026-03-01T09:30:00+00:00", "2026-03-01T09:30:00"),
    ("2026-03-01T09:30:00Z", "2026-03-01T09:30:00"),
    ("2026-03-01T09:30:00.123456-05:00", "2026-03-01T14:30:00"),
    ("2026-03-01T09:30:00", "2026-03-01T09:30:00"),
])
def test_timestamps_are_utc_without_offset(given: str, expected: str) -> None:
    assert junit_timestamp(given) == expected


def test_unreadable_timestamp_is_now_in_the_schema_form() -> None:
    assert len(junit_timestamp("yesterday")) == 19 and "T" in junit_timestamp("")


def test_validate_rows_keep_their_verdicts() -> None:
    doc = _assert_valid(to_junit(_rows()))
    assert doc.get("tests") == "3" and doc.get("failures") == "2"
    suites = {s.get("name"): s for s in doc.findall("testsuite")}
    assert set(suites) == {"fork-hello", "broken.yaml"}
    cases = suites["fork-hello"].findall("testcase")
    assert [c.get("name") for c in cases] == ["reference: solution/hello.py", "faulty: faulty/no_wait.py"]
    failure = cases[1].find("failure")
    assert failure is not None and "waits::process.reaped: expected fail, got passed" in (failure.text or "")
    assert "<&>" in (failure.text or "")
    assert "ok reference solution/hello.py: full marks" in (suites["fork-hello"].findtext("system-out") or "")


def test_one_writer_for_run_validate_and_batch() -> None:
    results = _results()
    assert gradebook.to_junit_xml(results) == to_junit_xml(results)   # batch's junit.xml
    source = inspect.getsource(grader.validate)
    assert "<testsuite" not in source and "quoteattr" not in source     # no XML written by hand there
