"""JUnit XML: the grader's one writer, for `grader run --junit`, `grader validate --junit` and a batch's junit.xml.

The document is what the Apache Ant JUnit schema (JUnit.xsd) describes for an aggregated report,
plus the totals Jenkins, GitLab and Surefire read on <testsuites> (name, tests, failures, errors,
time), which Jenkins' junit-10.xsd declares:

    <testsuites name tests failures errors time>
      <testsuite name package id tests failures errors time timestamp hostname>
        <properties><property name value/>...</properties>
        <testcase classname name time>[<failure message type>text</failure> | <error ...>]</testcase>...
        <system-out>...</system-out><system-err>...</system-err>
      </testsuite>...

`timestamp` is UTC written without an offset (the schema's pattern allows none); a classname never
starts with a dot. Built with ElementTree, so every attribute and text is escaped by the library;
what XML 1.0 cannot carry at all is made visible (`\\u0000`) by `xml_safe`.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from grader.report.excerpt import clean_text
from grader.report.race import race_of, race_sentence
from grader.result import Result, TestResult

__all__ = ["Case", "Suite", "junit_document", "junit_timestamp", "result_suite", "to_junit_xml", "xml_safe"]

# Characters XML 1.0 does not allow, even escaped.
_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MESSAGE_CHARS = 500          # a failure's message attribute; the whole text is the element's body


def xml_safe(text: str | None) -> str:
    """Text with terminal escapes removed and every character XML 1.0 cannot carry made visible."""
    if text is None:
        return ""
    cleaned = clean_text(text)[0]
    return _ILLEGAL_XML.sub(lambda m: f"\\u{ord(m.group(0)):04x}", cleaned)


def junit_timestamp(iso: str | None = None) -> str:
    """`iso` (any ISO 8601 with or without offset; naive means UTC) as UTC 'YYYY-MM-DDTHH:MM:SS', no offset.

    Empty or unreadable: now. The Ant schema's ISO8601_DATETIME_PATTERN allows no zone and no fraction.
    """
    when: datetime | None = None
    if iso:
        try:
            when = datetime.fromisoformat(iso.strip().replace("Z", "+00:00"))
        except ValueError:
            when = None
    if when is None:
        when = datetime.now(timezone.utc)
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(slots=True)
class Case:
    """One <testcase>: passed when neither `failure` nor `error` is set ((message, type, text) each)."""

    classname: str
    name: str
    seconds: float = 0.0
    failure: tuple[str, str, str] | None = None
    error: tuple[str, str, str] | None = None


@dataclass(slots=True)
class Suite:
    """One <testsuite>."""

    name: str
    cases: list[Case] = field(default_factory=list)
    seconds: float = 0.0
    timestamp: str = ""              # ISO 8601, any zone; written as UTC without offset
    properties: list[tuple[str, str]] = field(default_factory=list)
    system_out: str = ""
    system_err: str = ""


def _seconds(value: float) -> str:
    return f"{max(0.0, value):.3f}"


def _token(text: str, fallback: str) -> str:
    """A non-empty one-line name (the schema's xs:token with minLength 1)."""
    return " ".join(xml_safe(text).split()) or fallback


def _suite_element(suite: Suite, index: int, hostname: str) -> ET.Element:
    failures = sum(1 for c in suite.cases if c.failure is not None and c.error is None)
    errors = sum(1 for c in suite.cases if c.error is not None)
    name = _token(suite.name, "grader")
    element = ET.Element("testsuite", {
        "name": name, "package": name, "id": str(index),
        "tests": str(len(suite.cases)), "failures": str(failures), "errors": str(errors),
        "time": _seconds(suite.seconds), "timestamp": junit_timestamp(suite.timestamp), "hostname": hostname,
    })
    props = ET.SubElement(element, "properties")
    for key, value in suite.properties:
        ET.SubElement(props, "property", {"name": _token(key, "property"), "value": xml_safe(value)})
    for case in suite.cases:
        node = ET.SubElement(element, "testcase", {
            "classname": _token(case.classname, name).lstrip(".") or name,
            "name": _token(case.name, "test"), "time": _seconds(case.seconds)})
        tag, outcome = ("error", case.error) if case.error is not None else ("failure", case.failure)
        if outcome is not None:
            message, kind, text = outcome
            child = ET.SubElement(node, tag, {"message": xml_safe(message)[:_MESSAGE_CHARS],
                                              "type": xml_safe(kind) or tag})
            child.text = xml_safe(text or message)
    ET.SubElement(element, "system-out").text = xml_safe(suite.system_out)
    ET.SubElement(element, "system-err").text = xml_safe(suite.system_err)
    return element


def junit_document(suites: Sequence[Suite], *, name: str = "grader", hostname: str | None = None) -> str:
    """One <testsuites> document, UTF-8 with an XML declaration."""
    host = _token(hostname if hostname is not None else socket.gethostname(), "localhost")
    elements = [_suite_element(suite, i, host) for i, suite in enumerate(suites)]
    root = ET.Element("testsuites", {
        "name": _token(name, "grader"),
        "tests": str(sum(int(e.get("tests", "0")) for e in elements)),
        "failures": str(sum(int(e.get("failures", "0")) for e in elements)),
        "errors": str(sum(int(e.get("errors", "0")) for e in elements)),
        "time": _seconds(sum(s.seconds for s in suites)),
    })
    root.extend(elements)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ----------------------------------------------------------------- graded results


def _details(test: TestResult) -> str:
    lines: list[str] = []
    if test.message:
        lines.append(test.message)
    for diagnosis in test.diagnoses:
        lines.append(f"why: {diagnosis.message}")
    for check in test.checks:
        race = race_of(check)
        if race is not None:
            lines.append(f"[race] {check.kind}: {race_sentence(race).text}")
            if race.detail:
                lines.append(f"  {f'in run {race.shown_run}: ' if race.shown_run else ''}{race.detail}")
        else:
            lines.append(f"[{check.status}] {check.kind}: {check.message}")
            if check.total_runs > 1:
                lines.append(f"  passed in {check.passed_runs} of {check.total_runs} runs")
        if check.expected is not None:
            lines.append(f"  expected: {check.expected}")
        if check.observed is not None:
            lines.append(f"  observed: {check.observed}")
    return "\n".join(lines)


def _first_failure(test: TestResult) -> tuple[str, str]:
    """(message, type) of the first check that did not pass (a race named as one); one that was not applicable
    only when no other did not pass."""
    for check in sorted(test.checks, key=lambda c: c.status == "not_applicable"):
        if check.status == "passed":
            continue
        race = race_of(check)
        if race is not None:
            where = f"; in run {race.shown_run}: {race.detail}" if race.shown_run and race.detail else ""
            return race_sentence(race).text + where, check.kind
        return check.message, check.kind
    return test.message or test.status, test.status


def result_suite(result: Result) -> Suite:
    """A graded submission as a suite: a case per test, one `grader` error case when grading failed."""
    classname = ".".join(part for part in (result.assignment_id, result.submission) if part) or "grader"
    suite = Suite(name=result.submission or result.assignment_id or "submission",
                  seconds=result.duration_ms / 1000.0, timestamp=result.graded_at,
                  properties=[("assignment", result.assignment_id), ("score", f"{result.score:g}"),
                              ("max_score", f"{result.max_score:g}"),
                              ("submission_hash", result.submission_hash),
                              ("grader_version", result.grader_version)])
    if result.error:
        suite.cases.append(Case(classname, "grader", error=(result.error, "grader", result.error)))
    for test in result.tests:
        case = Case(classname, test.name, seconds=sum(run.wall_ms for run in test.runs) / 1000.0)
        if test.status != "passed":
            message, kind = _first_failure(test)
            outcome = (message, kind, _details(test))
            if test.status == "error":
                case.error = outcome
            else:
                case.failure = outcome
        suite.cases.append(case)
    return suite


def to_junit_xml(results: Sequence[Result], *, hostname: str | None = None) -> str:
    """One document for all `results`: a testsuite per submission, a testcase per test."""
    return junit_document([result_suite(r) for r in results], name="grader", hostname=hostname)
