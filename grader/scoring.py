"""Scoring: a check's verdict over repeats, a test's points from check weights, the submission's total."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from grader.checks.base import CheckBase, CheckOutcome
from grader.result import CheckResult, Status, TestResult

__all__ = ["GUARD_KINDS", "RACE_WARNED", "RacePolicy", "aggregate_check", "overall_status", "run_status", "score_checks", "total_score"]


# Checks that say nothing went wrong (time, memory, process budget) rather than that anything went
# right: an empty or crashed program passes them. Their share of a test is earned only when some
# other check of the test passed (or when they are all the test has).
GUARD_KINDS = frozenset({"resource.time", "resource.memory", "resource.pids"})
NOT_AWARDED_GUARD = "guard"


def run_status(passed_runs: int, total_runs: int) -> Status:
    """passed in every run -> passed; in some -> flaky; in none (or no runs) -> failed."""
    if total_runs == 0 or passed_runs == 0:
        return "failed"
    return "passed" if passed_runs == total_runs else "flaky"


def aggregate_check(
    check: CheckBase, outcomes: Sequence[tuple[int, CheckOutcome]], *, errors: Sequence[str] = ()
) -> CheckResult:
    """One CheckResult from (run index, outcome) pairs; the message comes from the first failing run.

    `errors` are the grader's own failures while evaluating it (any makes the status "error"). A run
    whose outcome is not applicable (the check found nothing to judge and may say so) is left out; when
    no run is applicable the check is "not_applicable": not awarded and not counted.
    """
    skipped = [run for run, o in outcomes if not o.applicable]
    counted = [(run, o) for run, o in outcomes if o.applicable]
    passed = [run for run, o in counted if o.passed]
    failing = [(run, o) for run, o in counted if not o.passed]
    total = len(counted)
    shown: CheckOutcome | None
    status: Status
    if errors:
        status = "error"
        shown = failing[0][1] if failing else None
        message = f"the grader could not evaluate this check in {len(errors)} run(s): {errors[0]}"
    elif outcomes and not counted:
        status = "not_applicable"
        run, shown = outcomes[0]
        message = shown.message + (f" (in all {len(outcomes)} runs)" if len(outcomes) > 1 else "")
    else:
        status = run_status(len(passed), total)
        if failing:
            run, shown = failing[0]
            message = shown.message
            if status == "flaky":
                # Held in some runs and not others: the outcome depended on the schedule, a race.
                message = (f"your program has a race: it passed in {len(passed)} of {total} runs and failed in "
                           f"runs {', '.join(str(r + 1) for r, _ in failing)}; in run {run + 1}: {message}")
            elif total > 1:
                message = f"failed in all {total} runs; in run {run + 1}: {message}"
        elif counted:
            run, shown = counted[-1]
            message = shown.message + (f" (in all {total} runs)" if total > 1 else "")
        else:
            shown, message = None, "the check was not evaluated: there were no runs"
        if skipped and counted:
            message += f" (not applicable in run(s) {', '.join(str(r + 1) for r in skipped)})"
    params = dict(shown.params) if shown else {}
    params.update({"passed_runs": len(passed), "total_runs": total})
    if status == "flaky":
        params["failed_runs"] = [r + 1 for r, _ in failing]
    if skipped:
        params["not_applicable_runs"] = len(skipped)
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


RacePolicy = Literal["fail", "warn"]
RACE_WARNED = "race_warned"


def score_checks(checks: Sequence[CheckResult], points: float, *, all_or_nothing: bool = False,
                 race: RacePolicy = "fail") -> float:
    """Share `points` among checks by weight; only checks passed in every run score.

    race="warn": a check that held in some runs and not others (status flaky: a race) still scores; it
    stays flaky, so the page names the race, and params[RACE_WARNED] says it kept its points.

    A not-applicable check gets no share (max 0). A guard (GUARD_KINDS) that passed earns its share only
    when another, non-guard check of the test passed too; otherwise its score is 0 and
    params["not_awarded"] says why ("guard"). A test none of whose checks counts scores 0.
    """
    good = ("passed", "flaky") if race == "warn" else ("passed",)
    counted = [c for c in checks if c.status != "not_applicable"]
    total_weight = sum(c.weight for c in counted)
    everything = all(c.status in good for c in counted)
    substantive = [c for c in counted if c.kind not in GUARD_KINDS]
    something_right = not substantive or any(c.status in good for c in substantive)
    score = 0.0
    for check in checks:
        if check.status == "not_applicable":
            check.max_score = check.score = 0.0
            continue
        check.max_score = points * check.weight / total_weight if total_weight else 0.0
        earned = check.status in good and (everything or not all_or_nothing)
        if earned and check.status == "flaky":
            check.params[RACE_WARNED] = True
        if earned and check.kind in GUARD_KINDS and not something_right:
            earned = False
            check.params["not_awarded"] = NOT_AWARDED_GUARD
            check.message += " (not awarded: no other check of this test passed, and this one only says " \
                             "nothing went wrong)"
        check.score = check.max_score if earned else 0.0
        score += check.score
    return points if everything and counted else score


def overall_status(checks: Sequence[CheckResult]) -> Status:
    """error if any check could not be evaluated, else failed > flaky > passed (not-applicable checks are left
    out; a test with nothing else is failed: nothing in it was shown to hold)."""
    statuses = {c.status for c in checks if c.status != "not_applicable"}
    for status in ("error", "failed", "flaky"):
        if status in statuses:
            return status
    if checks and not statuses:
        return "failed"
    return "passed" if checks else "error"


def total_score(tests: Sequence[TestResult]) -> tuple[float, float]:
    """(score, max score) over tests."""
    return sum(t.score for t in tests), sum(t.max_score for t in tests)
