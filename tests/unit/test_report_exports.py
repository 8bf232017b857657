"""Gradescope results.json and JUnit XML exports."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from grader.report import run_gradescope, to_gradescope, to_junit_xml
from grader.result import Result

RESULTS = Path(__file__).resolve().parents[1] / "data" / "results"
FIXTURES = sorted(p.name for p in RESULTS.glob("*.json"))

# Gradescope autograder specification, "Output format" (results.json): field -> allowed types.
TOP_LEVEL: dict[str, tuple[type, ...]] = {
    "score": (int, float), "execution_time": (int, float), "output": (str,), "output_format": (str,),
    "test_output_format": (str,), "test_name_format": (str,), "visibility": (str,),
    "stdout_visibility": (str,), "extra_data": (dict,), "tests": (list,), "leaderboard": (list,),
}
TEST_FIELDS: dict[str, tuple[type, ...]] = {
    "score": (int, float), "max_score": (int, float), "status": (str,), "name": (str,), "name_format": (str,),
    "number": (str,), "output": (str,), "output_format": (str,), "tags": (list,), "visibility": (str,),
    "extra_data": (dict,),
}
VISIBILITY = {"visible", "hidden", "after_due_date", "after_published"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def load(name: str) -> Result:
    return Result.from_json(json.loads((RESULTS / name).read_text(encoding="utf-8")))


def check_spec(data: dict[str, Any]) -> None:
    assert set(data) <= set(TOP_LEVEL), set(data) - set(TOP_LEVEL)
    for key, value in data.items():
        assert isinstance(value, TOP_LEVEL[key]) and not isinstance(value, bool), key
    assert "score" in data or all("score" in t for t in data.get("tests", []))
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data:
            assert data[key] in FORMATS
    for key in ("visibility", "stdout_visibility"):
        if key in data:
            assert data[key] in VISIBILITY
    for test in data.get("tests", []):
        assert set(test) <= set(TEST_FIELDS), set(test) - set(TEST_FIELDS)
        for key, value in test.items():
            assert isinstance(value, TEST_FIELDS[key]) and not isinstance(value, bool), key
        assert test.get("status", "passed") in {"passed", "failed"}
        assert test.get("visibility", "visible") in VISIBILITY
        assert test.get("output_format", "text") in FORMATS
        assert all(isinstance(tag, str) for tag in test.get("tags", []))
    json.dumps(data)


@pytest.mark.parametrize("name", FIXTURES)
def test_gradescope_export_follows_the_spec(name: str) -> None:
    check_spec(to_gradescope(load(name)))


def test_gradescope_export_content() -> None:
    data = to_gradescope(load("fork_hello_four_processes.json"))
    assert data["score"] == 0.5
    assert [t["status"] for t in data["tests"]] == ["failed", "failed", "failed", "failed"]
    assert [t["visibility"] for t in data["tests"]] == ["visible", "visible", "visible", "hidden"]
    assert "[FAILED] exactly three processes: expected exactly 3 process(es)" in data["tests"][0]["output"]
    assert "hint: Each fork() call doubles" in data["tests"][0]["output"]
    assert "passed in some runs only" in data["tests"][2]["output"]


def test_gradescope_output_is_plain_text_without_escapes() -> None:
    data = to_gradescope(load("compile_error.json"))
    assert "\x1b" not in data["output"] and "error: ‘pid_t’ undeclared" in data["output"]
    assert data["tests"][1]["visibility"] == "after_due_date"


def test_run_gradescope_writes_results(tmp_path: Path) -> None:
    (tmp_path / "submission").mkdir()
    seen: list[Path] = []

    def grade(path: Path) -> Result:
        seen.append(path)
        return load("fork_hello_four_processes.json")

    assert run_gradescope(root=tmp_path, grade_fn=grade) == 0
    assert seen == [tmp_path / "submission"]
    data = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    check_spec(data)
    assert data["score"] == 0.5


def test_run_gradescope_reports_a_grader_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "submission").mkdir()

    def broken(path: Path) -> Result:
        raise RuntimeError("docker engine not answering")

    assert run_gradescope(root=tmp_path, grade_fn=broken) == 1
    data = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    check_spec(data)
    assert data["score"] == 0
    assert "not your fault" in data["output"] and "docker engine not answering" in data["output"]
    assert "RuntimeError" in capsys.readouterr().err


def test_run_gradescope_without_a_submission_folder(tmp_path: Path) -> None:
    assert run_gradescope(root=tmp_path, grade_fn=lambda p: load("compile_error.json")) == 1
    data = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    assert "no submission folder" in data["output"]


def test_junit_xml_has_a_suite_per_submission_and_a_case_per_test() -> None:
    results = [load(name) for name in FIXTURES]
    xml = to_junit_xml(results)
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == len(results)
    for suite, result in zip(suites, results):
        assert len(suite.findall("testcase")) == len(result.tests)
        failures = sum(1 for t in result.tests if t.status in ("failed", "flaky"))
        assert int(suite.get("failures", "-1")) == failures
        assert len(suite.findall("testcase/failure")) == failures
        assert len(suite.findall("testcase/error")) == sum(1 for t in result.tests if t.status == "error")


def test_junit_xml_escapes_and_strips_what_xml_cannot_hold() -> None:
    result = load("fork_hello_hostile_output.json")
    result.tests[0].checks[0].message = "bad \x00 nul \x1b[31mred\x1b[0m \ud800 <script>&"
    result.error = "broken \x0c formfeed"
    xml = to_junit_xml([result])
    root = ET.fromstring(xml.encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "<b>2021-99999</b><script>alert(1)</script>"
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "bad \\x00 nul red \\ud800 <script>&"
    assert "\x1b" not in xml and "\x00" not in xml
    error = root.find("testsuite/testcase/error")
    assert error is not None and error.get("message") == "broken \\x0c formfeed"


# ---------------------------------------------------------------- the result JSON is bounded


def _result_with(execution: dict[str, Any]) -> Result:
    from grader.result import RunSummary, TestResult

    run = RunSummary(index=0, exit_code=0, signal=None, wall_ms=5, execution=execution)
    return Result(assignment_id="a", assignment_title="A", submission="s", score=0, max_score=1,
                  tests=[TestResult(name="t", status="failed", score=0, max_score=1, runs=[run])])


def test_result_json_caps_every_list_of_a_run_and_counts_what_it_left_out() -> None:
    from grader.serialize import EXECUTION_CAPS

    writes = [{"time": i * 1e-6, "tid": 1 + i % 3, "channel": "stdout", "size": 1, "data": {"text": "x"}}
              for i in range(100_000)]
    tasks = [{"pid": i, "tgid": 1, "ppid": None, "kind": "thread", "start": 0.0,
              "execs": [{"time": 0.0, "path": "/bin/x", "argv": ["a" * 20_000] * 500}] * 40}
             for i in range(1, 10_001)]
    execution = {"root": 1, "tasks": tasks, "writes": writes, "summarized": {"json_writes": 7}}
    data = _result_with(execution).to_json()
    text = json.dumps(data)
    assert len(text) < 50_000_000 // 5, len(text)
    kept = data["tests"][0]["runs"][0]["execution"]
    assert len(kept["writes"]) == EXECUTION_CAPS["writes"] and len(kept["tasks"]) == EXECUTION_CAPS["tasks"]
    assert kept["summarized"]["json_writes"] == 7 + 100_000 - EXECUTION_CAPS["writes"]
    assert kept["summarized"]["json_tasks"] == 10_000 - EXECUTION_CAPS["tasks"]
    assert kept["summarized"]["json_argv"] > 0
    first = kept["tasks"][0]
    assert len(first["execs"]) <= 20 and first["execs_total"] == 40
    assert len(first["execs"][0]["argv"]) <= 64 and first["execs"][0]["argv_total"] == 500
    assert sum(len(a) for t in kept["tasks"] for e in t["execs"] for a in e["argv"]) <= 1 << 18
    assert "more characters cut" in first["execs"][0]["argv"][0]
    # The input was not changed, and the JSON reads back.
    assert len(execution["writes"]) == 100_000
    assert Result.from_json(json.loads(text)).tests[0].runs[0].execution == kept


def test_result_json_of_deep_nesting_is_cut_not_a_recursion_error() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    data = _result_with({"root": 1, "tasks": [], "extra": deep}).to_json()
    text = json.dumps(data)                           # json.dumps itself recurses: it must not meet 5000 levels
    assert "nested deeper than" in text
    assert text.count('"x"') < 40


def test_gradescope_says_why_only_under_failed_tests_and_not_run_once() -> None:
    from grader.result import Diagnosis, TestResult

    why = Diagnosis(code="zombie", message="pid 9 was never waited for")
    result = Result(assignment_id="a", assignment_title="A", submission="s", score=1, max_score=2, tests=[
        TestResult(name="ok", status="passed", score=1, max_score=1, diagnoses=[why]),
        TestResult(name="bad", status="failed", score=0, max_score=1, diagnoses=[why],
                   message="not run: The program did not compile."),
    ])
    ok, bad = (t["output"] for t in to_gradescope(result)["tests"])
    assert "Why" not in ok
    assert "Why: pid 9 was never waited for" in bad
    assert "This test could not run: The program did not compile." in bad and "not run: not run" not in bad
    assert "could not run: not run:" not in bad


def test_gradescope_test_output_is_escaped_html_with_the_process_tree_of_a_failed_test() -> None:
    data = to_gradescope(load("fork_hello_four_processes.json"))
    assert data["test_output_format"] == "html"
    failed = data["tests"][0]
    assert failed["output_format"] == "html" and failed["output"].startswith("<pre>")
    assert "How the program ran (run 1), as the kernel saw it:" in failed["output"]
    result = load("fork_hello_four_processes.json")
    execution = result.tests[0].runs[0].execution
    assert execution is not None
    pids = [t["pid"] for t in execution["tasks"] if t["kind"] == "process"]
    assert all(f"pid {pid}" in failed["output"] for pid in pids)


def test_gradescope_html_escapes_student_text_and_has_no_markup_of_its_own_choosing() -> None:
    from grader.result import CheckResult, TestResult

    printed = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    check = CheckResult(kind="output.contains", status="failed", message=f"line 1 was {printed!r}",
                        observed=printed)
    result = Result(assignment_id="a", assignment_title="A", submission="s", score=0, max_score=1, tests=[
        TestResult(name="t", status="failed", score=0, max_score=1, checks=[check])])
    output = to_gradescope(result)["tests"][0]["output"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in output
    assert "<script" not in output.lower() and "<img" not in output.lower()
    assert set(re.findall(r"</?([a-z]+)", output)) <= {"pre", "p", "strong"}


def test_process_tree_is_bounded_and_drawn_without_recursion() -> None:
    import sys

    from grader.report.gradescope import TREE_LINES, process_tree_lines

    chain = [{"pid": 10 + i, "ppid": 9 + i if i else None, "tgid": 10 + i, "kind": "process", "exit_code": 0}
             for i in range(5000)]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        lines = process_tree_lines({"root": 10, "tasks": chain})
    finally:
        sys.setrecursionlimit(limit)
    assert len(lines) <= TREE_LINES + 2 and lines[0] == "pid 10: exit 0"
    assert lines[-1].startswith("... and ") and "more task(s) not drawn" in lines[-1]
