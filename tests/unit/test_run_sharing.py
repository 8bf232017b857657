"""Runs shared between tests: which tests share (run_groups), that a shared run is asked for and parsed once,
and that each test still says which runs it checked (run_id, on the result and the page)."""

from __future__ import annotations

from pathlib import Path

import pytest
from exec_builder import ExecBuilder

import grader.grading
from grader.checks.base import RunEvidence
from grader.grading import grade, run_groups
from grader.report.html import render_html
from grader.sandbox.base import SandboxResult
from grader.sandbox.records import RunRecord
from grader.sandbox.replay import ReplaySandbox
from grader.spec import load_assignment, parse_assignment
from grader.trace.model import Execution

ROOT = Path(__file__).resolve().parents[2]

THREE_TESTS = """
id: three
title: Three tests, one way of running
language: python
files: [hello.py]
run: [python3, hello.py]
repeat: 3
tests:
  - name: lines
    checks:
      - output.count: {pattern: '^hello os$', equals: 3}
  - name: processes
    checks:
      - process.count: 3
  - name: reaping
    checks:
      - process.reaped: all
"""


def _names(groups: list[grader.grading.RunGroup]) -> list[tuple[str, tuple[int, ...]]]:
    return [(g.run_id, g.tests) for g in groups]


def test_tests_with_one_run_configuration_share_one_group() -> None:
    groups = run_groups(parse_assignment(THREE_TESTS))
    assert _names(groups) == [("r1", (0, 1, 2))]
    assert groups[0].request.name == "lines" and groups[0].request.repeat == 3


def test_sharing_off_gives_every_test_its_own_runs() -> None:
    assert _names(run_groups(parse_assignment(THREE_TESTS), share=False)) == [("r1", (0,)), ("r2", (1,)), ("r3", (2,))]


@pytest.mark.parametrize(("change", "expected"), [
    ("    own_runs: true\n", [("r1", (0, 2)), ("r2", (1,))]),
    ("    stdin: 'x'\n", [("r1", (0, 2)), ("r2", (1,))]),
    ("    stdout: pty\n", [("r1", (0, 2)), ("r2", (1,))]),
    ("    repeat: 2\n", [("r1", (0, 2)), ("r2", (1,))]),
    ("    isolation: run\n", [("r1", (0, 2)), ("r2", (1,))]),
    ("    run: [python3, hello.py, --fan]\n", [("r1", (0, 2)), ("r2", (1,))]),
    ("    run: [python3, hello.py]\n", [("r1", (0, 1, 2))]),      # the same command, written out again
    ("    points: 5\n", [("r1", (0, 1, 2))]),                     # scoring is not how the program runs
])
def test_any_difference_in_how_the_program_runs_splits_the_group(change: str, expected: list[object]) -> None:
    text = THREE_TESTS.replace("  - name: processes\n", "  - name: processes\n" + change)
    assert _names(run_groups(parse_assignment(text))) == expected


def test_an_override_of_repeat_applies_to_every_group() -> None:
    groups = run_groups(parse_assignment(THREE_TESTS.replace("  - name: processes\n",
                                                             "  - name: processes\n    repeat: 2\n")), repeat=1)
    assert [(g.tests, g.request.repeat) for g in groups] == [((0, 1, 2), 1)]


def test_fork_hello_shares_the_pipe_runs_and_keeps_the_terminal_test_apart() -> None:
    spec = load_assignment(ROOT / "assignments" / "fork-hello" / "assignment.yaml")
    for variant in spec.resolved_variants():
        assert _names(run_groups(variant)) == [("r1", (0, 1)), ("r2", (2,))], variant.variant


def _good(b: ExecBuilder) -> None:
    kids = [b.fork(100), b.fork(100)]
    for pid in (*kids, 100):
        b.say(pid, "hello os")
    for k in kids:
        b.exit(k)
    b.exit(100)


def _no_wait(b: ExecBuilder) -> None:
    kids = [b.fork(100), b.fork(100)]
    for pid in (*kids, 100):
        b.say(pid, "hello os")
    for k in kids:
        b.exit(k, reaped=False)
    b.exit(100)


SCENARIOS = {"good": _good, "no_wait": _no_wait}


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """read_run builds the Execution a record's `trace` names; returns the traces read, in order."""
    seen: list[str] = []

    def read_run(record: RunRecord) -> RunEvidence:
        seen.append(record.trace)
        if record.trace not in SCENARIOS:
            return RunEvidence(Execution(), [], [], record)
        b = ExecBuilder()
        SCENARIOS[record.trace](b)
        evidence = b.evidence()
        return RunEvidence(evidence.execution, evidence.stdout, evidence.stderr, record)

    monkeypatch.setattr(grader.grading, "read_run", read_run)
    return seen


def _record(scenario: str, index: int) -> RunRecord:
    b = ExecBuilder()
    SCENARIOS[scenario](b)
    record = b.record(trace=scenario)
    record.repeat_index = index
    return record


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "hello.py").write_text("import os\n")
    return folder


def test_three_tests_are_graded_from_one_set_of_runs_parsed_once(parsed: list[str], submission: Path) -> None:
    sandbox = ReplaySandbox(SandboxResult(runs={"lines": [_record("good", 0), _record("no_wait", 1),
                                                          _record("good", 2)]}))
    result = grade(parse_assignment(THREE_TESTS), submission, sandbox)
    (call,) = sandbox.calls
    assert [r.name for r in call.requests] == ["lines"]             # one request, not three
    assert parsed == ["good", "no_wait", "good"]                     # each run read once for all three tests
    assert [t.run_id for t in result.tests] == ["r1", "r1", "r1"]
    assert [len(t.runs) for t in result.tests] == [3, 3, 3]
    assert [t.status for t in result.tests] == ["passed", "passed", "flaky"]
    reaping = result.tests[2]
    assert reaping.checks[0].passed_runs == 2 and "failed in runs 2;" in reaping.checks[0].message


def test_without_sharing_each_test_asks_for_its_own_runs(parsed: list[str], submission: Path) -> None:
    runs = {name: [_record("good", i) for i in range(3)] for name in ("lines", "processes", "reaping")}
    sandbox = ReplaySandbox(SandboxResult(runs=runs))
    result = grade(parse_assignment(THREE_TESTS), submission, sandbox, share_runs=False)
    assert [r.name for r in sandbox.calls[0].requests] == ["lines", "processes", "reaping"]
    assert len(parsed) == 9 and [t.run_id for t in result.tests] == ["r1", "r2", "r3"]
    assert result.full_marks


def test_tests_sharing_runs_get_diagnoses_of_their_own(parsed: list[str], submission: Path) -> None:
    text = THREE_TESTS.replace("repeat: 3", "repeat: 1")
    sandbox = ReplaySandbox(SandboxResult(runs={"lines": [_record("no_wait", 0)]}))
    result = grade(parse_assignment(text), submission, sandbox)
    reaping = result.tests[2]
    assert reaping.status == "failed" and [d.code for d in reaping.diagnoses] == ["zombie"]
    # Each test's copy is its own: what attach() links for one test is not shared with the others.
    reaping.diagnoses[0].explains.append("marker")
    assert all("marker" not in d.explains for t in result.tests[:2] for d in t.diagnoses)


def test_the_page_names_the_runs_each_test_checked(parsed: list[str], submission: Path) -> None:
    text = THREE_TESTS.replace("  - name: reaping\n", "  - name: reaping\n    own_runs: true\n")
    runs = {"lines": [_record("good", i) for i in range(3)], "reaping": [_record("good", i) for i in range(3)]}
    result = grade(parse_assignment(text), submission, ReplaySandbox(SandboxResult(runs=runs)))
    assert [t.run_id for t in result.tests] == ["r1", "r1", "r2"]
    page = render_html(result, lang="en")
    assert "These runs (r1) are the same runs that test 2 checked" in page
    assert "These runs (r1) are the same runs that test 1 checked" in page
    assert "Runs r2: no other test checked them." in page
    korean = render_html(result, lang="ko")
    assert "이 실행(r1)은 테스트 2에서 확인한 것과 같은 실행입니다" in korean
    assert "실행 r2: 다른 테스트는 이 실행을 확인하지 않았습니다." in korean
