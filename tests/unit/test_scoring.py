"""Scoring: verdicts over repeats (passed, flaky with counts, failed), weights, all-or-nothing."""

from __future__ import annotations

from test_checks import check

from grader.checks.base import CheckOutcome
from grader.result import CheckResult
from grader.scoring import aggregate_check, overall_status, run_status, score_checks


def _result(status: str, weight: float = 1.0) -> CheckResult:
    return CheckResult(kind="output.count", status=status, message="", weight=weight)  # type: ignore[arg-type]


def test_run_status_over_repeats() -> None:
    assert run_status(5, 5) == "passed"
    assert run_status(3, 5) == "flaky"
    assert run_status(0, 5) == "failed"
    assert run_status(0, 0) == "failed"


def test_flaky_check_reports_counts_and_the_failing_runs() -> None:
    subject = check("output.count", pattern="x", equals=1)
    outcomes = [(0, CheckOutcome(True, "ok")), (1, CheckOutcome(False, "found 2", expected="1", observed="2")),
                (2, CheckOutcome(True, "ok"))]
    result = aggregate_check(subject, outcomes)
    assert result.status == "flaky" and (result.passed_runs, result.total_runs) == (2, 3)
    assert result.message.startswith("your program has a race: it passed in 2 of 3 runs and failed in runs 2; "
                                      "in run 2: found 2")
    assert result.params["failed_runs"] == [2]
    assert result.observed == "2"


def test_failed_in_every_run_and_passed_in_every_run() -> None:
    subject = check("process.reaped", of="all", hint="call wait()")
    failed = aggregate_check(subject, [(0, CheckOutcome(False, "no")), (1, CheckOutcome(False, "no"))])
    assert failed.status == "failed" and failed.message.startswith("failed in all 2 runs") and failed.hint == "call wait()"
    passed = aggregate_check(subject, [(0, CheckOutcome(True, "yes"))])
    assert passed.status == "passed" and passed.message == "yes"


def test_a_check_that_raised_is_the_graders_error() -> None:
    result = aggregate_check(check("process.count", equals=1), [], errors=["KeyError: 3"])
    assert result.status == "error" and "KeyError" in result.message


def test_points_are_shared_by_weight_and_flaky_scores_nothing() -> None:
    checks = [_result("passed", 2), _result("failed", 1), _result("flaky", 1)]
    assert score_checks(checks, 4.0) == 2.0
    assert [c.max_score for c in checks] == [2.0, 1.0, 1.0]
    assert [c.score for c in checks] == [2.0, 0.0, 0.0]
    assert overall_status(checks) == "failed"


def test_all_or_nothing() -> None:
    checks = [_result("passed"), _result("flaky")]
    assert score_checks(checks, 3.0, all_or_nothing=True) == 0.0
    assert overall_status(checks) == "flaky"
    every = [_result("passed"), _result("passed")]
    assert score_checks(every, 3.0, all_or_nothing=True) == 3.0
    assert overall_status(every) == "passed"
