"""No vacuous passes: a check about children, threads, lines, flows or IPC objects that finds none fails.

Recorded in the real sandbox (tests/data/specs/records/record.py): a file that does not parse and one
that crashes before forking; graded against the shipped pipe-message assignment they earn 0 of 4
(before: 1 of 4, from resource.time plus a process.reaped that "waited for all 0 children").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from exec_builder import ExecBuilder
from test_checks import check

from grader.checks.base import RunEvidence
from grader.grading import grade_runs, read_run
from grader.result import CheckResult
from grader.sandbox.records import RunRecord
from grader.scoring import aggregate_check, overall_status, score_checks
from grader.spec.loader import load_assignment

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "tests" / "data" / "specs" / "records"


def recorded(name: str) -> RunRecord:
    """A run recorded in the real sandbox."""
    data = json.loads((RECORDS / f"{name}.json").read_text(encoding="utf-8"))
    data.pop("program", None)
    return RunRecord.from_json(data)


def evidence_of(name: str) -> RunEvidence:
    return read_run(recorded(name))


@pytest.mark.parametrize(("name", "error"), [("syntax_error", "SyntaxError: '(' was never closed"),
                                             ("crash_before_fork", "KeyError: 'childs'")])
def test_a_program_that_never_forks_earns_nothing_on_pipe_message(name: str, error: str) -> None:
    assignment = load_assignment(ROOT / "assignments" / "pipe-message" / "assignment.yaml")
    results = [grade_runs(test, [recorded(name)]) for test in assignment.tests]
    assert sum(r.score for r in results) == 0.0
    reaped = next(c for r in results for c in r.checks if c.kind == "process.reaped")
    assert reaped.status == "failed"
    assert reaped.message == ("there were no child processes to check: the program created none; "
                              f"it stopped first with a Python error: {error!r}")
    time = next(c for r in results for c in r.checks if c.kind == "resource.time")
    assert time.status == "passed" and time.score == 0.0 and time.params["not_awarded"] == "guard"


@pytest.mark.parametrize("kind", ["process.reaped", "process.no_zombies", "process.no_orphans", "ipc.cleanup"])
def test_checks_that_say_nothing_went_wrong_fail_when_nothing_was_made(kind: str) -> None:
    outcome = check(kind).evaluate(evidence_of("syntax_error"))
    assert not outcome.passed and outcome.applicable
    assert "created none" in outcome.message and "SyntaxError" in outcome.message


def test_subject_checks_fail_without_threads_lines_or_flows() -> None:
    bare = evidence_of("crash_before_fork")
    cases = [
        ("thread.work", {"pattern": "^worker"}, "no line matches /^worker/"),
        ("output.writers", {"pattern": "^hello", "distinct_processes": 3}, "no line matches /^hello/"),
        ("ipc.flow", {"from": "children", "to": "root"}, "the trace shows no bytes written by one process"),
        ("process.concurrent", {"min": 2}, "there were no child processes to check"),
        ("process.exit_code", {"role": "children"}, "there were no child processes to check"),
        ("output.process_order", {"patterns": ["a", "b"]}, "no process printed any of the expected lines"),
        ("output.ids", {"pattern": "child {pid}"}, "found 0"),
    ]
    for kind, params, words in cases:
        outcome = check(kind, **params).evaluate(bare)
        assert not outcome.passed, kind
        assert words in outcome.message and "KeyError: 'childs'" in outcome.message, (kind, outcome.message)


def test_a_role_with_nobody_in_it_says_how_many_children_there_were() -> None:
    b = ExecBuilder()
    b.exit(b.fork(100))
    b.exit(100)
    outcome = check("process.exit_code", role="child[1]").evaluate(b.evidence())
    assert outcome.message == "there was no process in role child[1] to check: the program created 1 child process(es)"


def test_if_none_pass_and_not_applicable() -> None:
    bare = evidence_of("syntax_error")
    assert check("process.reaped", if_none="pass").evaluate(bare).passed
    na = check("process.no_orphans", if_none="not_applicable").evaluate(bare)
    assert not na.applicable and "created none" in na.message
    # a run with children is judged as usual whatever if_none says
    b = ExecBuilder()
    b.exit(b.fork(100), reaped=False)
    b.exit(100)
    assert not check("process.reaped", if_none="pass").evaluate(b.evidence()).passed


def test_not_applicable_is_not_awarded_and_not_counted() -> None:
    na_check = check("process.no_orphans", if_none="not_applicable")
    na_outcome = na_check.evaluate(evidence_of("syntax_error"))
    na = aggregate_check(na_check, [(0, na_outcome), (1, na_outcome)])
    assert na.status == "not_applicable" and na.total_runs == 0
    ok = check("output.regex", pattern="x")
    passed = aggregate_check(ok, [(0, ok.evaluate(_printing("x")))])
    checks: list[CheckResult] = [na, passed]
    assert score_checks(checks, 2.0) == 2.0
    assert na.max_score == 0.0 and na.score == 0.0 and passed.max_score == 2.0
    assert overall_status(checks) == "passed"
    assert overall_status([na]) == "failed"         # nothing shown to hold


def test_a_guard_alone_in_a_test_still_scores() -> None:
    guard = check("resource.time")
    result = aggregate_check(guard, [(0, guard.evaluate(_printing("x")))])
    assert score_checks([result], 1.0) == 1.0


def test_not_applicable_in_some_runs_only_counts_the_others() -> None:
    subject = check("process.reaped", if_none="not_applicable")
    b = ExecBuilder()
    b.exit(b.fork(100))
    b.exit(100)
    good = subject.evaluate(b.evidence())
    none = subject.evaluate(evidence_of("syntax_error"))
    result = aggregate_check(subject, [(0, good), (1, none)])
    assert result.status == "passed" and (result.passed_runs, result.total_runs) == (1, 1)
    assert "not applicable in run(s) 2" in result.message


def test_if_none_is_refused_where_a_check_has_no_subject() -> None:
    from pydantic import ValidationError
    with pytest.raises(ValidationError):
        check("output.count", pattern="x", equals=1, if_none="pass")


def _printing(text: str) -> RunEvidence:
    b = ExecBuilder()
    b.say(100, text)
    b.exit(100)
    return b.evidence()
