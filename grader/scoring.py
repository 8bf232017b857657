"""Scoring: a check's verdict over repeats, a test's points from check weights, the submission's total."""

from __future__ import annotations

from collections.abc import Sequence

from grader.checks.base import CheckBase, CheckOutcome
from grader.result import CheckResult, Status, TestResult

__all__ = ["aggregate_check", "overall_status", "run_status", "score_checks", "total_score"]


def run_status(passed_runs: int, total_runs: int) -> Status:
    """passed in every run -> passed; in some -> flaky; in none (or no runs) -> failed."""
    if total_runs == 0 or passed_runs == 0:
        return "failed"
    return "passed" if passed_runs == total_runs else "flaky"


def aggregate_check(
    check: CheckBase, outcomes: Sequence[tuple[int, CheckOutcome]], *, errors: Sequence[str] = ()
) -> CheckResult:
    """One CheckResult from (run index, outcome) pairs; the message comes from the first failing run.

    `errors` are the grader's own failures while evaluating it (any makes the status "error").
    """
    passed = [run for run, o in outcomes if o.passed]
    failing = [(run, o) for run, o in outcomes if not o.passed]
    total = len(outcomes)
    status: Status = "error" if errors else run_status(len(passed), total)
    shown: CheckOutcome | None
    if errors:
        shown = failing[0][1] if failing else None
        message = f"the grader could not evaluate this check in {len(errors)} run(s): {errors[0]}"
    elif failing:
        run, shown = failing[0]
        message = shown.message
        if status == "flaky":
            message = (f"held in {len(passed)} of {total} runs, failed in runs "
                       f"{', '.join(str(r + 1) for r, _ in failing)}; in run {run + 1}: {message}")
        elif total > 1:
            message = f"failed in all {total} runs; in run {run + 1}: {message}"
    else:
        run, shown = outcomes[-1]
        message = shown.message + (f" (in all {total} runs)" if total > 1 else "")
    params = dict(shown.params) if shown else {}
    params.update({"passed_runs": len(passed), "total_runs": total})
    if errors:
        params["errors"] = list(errors)
    return CheckResult(
        kind=check.kind,
        status=status,
        message=message,
        weight=check.weight,
        passed_runs=len(passed),
        total_runs=total,
        expected=shown.expected if shown else None,
        observed=shown.observed if shown else None,
        hint=check.hint,
        hint_ko=check.hint_ko,
        evidence=list(shown.evidence) if shown else [],
        params=params,
        label=check.label or check.id,
    )


def score_checks(checks: Sequence[CheckResult], points: float, *, all_or_nothing: bool = False) -> float:
    """Share `points` among checks by weight (set on each CheckResult); only checks passed in every run score."""
    total_weight = sum(c.weight for c in checks)
    everything = all(c.status == "passed" for c in checks)
    score = 0.0
    for check in checks:
        check.max_score = points * check.weight / total_weight if total_weight else 0.0
        earned = check.status == "passed" and (everything or not all_or_nothing)
        check.score = check.max_score if earned else 0.0
        score += check.score
    return points if everything and checks else score


def overall_status(checks: Sequence[CheckResult]) -> Status:
    """error if any check could not be evaluated, else failed > flaky > passed."""
    statuses = {c.status for c in checks}
    for status in ("error", "failed", "flaky"):
        if status in statuses:
            return status
    return "passed" if checks else "error"


def total_score(tests: Sequence[TestResult]) -> tuple[float, float]:
    """(score, max score) over tests."""
    return sum(t.score for t in tests), sum(t.max_score for t in tests)
