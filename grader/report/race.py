"""The race verdict as every output says it: a check that passed in some runs and failed in others.

Scoring (grader.scoring) calls such a check "flaky" and writes its English message as
"your program has a race: it passed in k of n runs and failed in runs ...; in run r: <what run r showed>".
The page, Gradescope, PrairieLearn, GitHub Classroom and JUnit all say it through `race_of` and
`race_sentence`, so the words are one: "your program has a race: it passed in k of n runs", the runs that
failed when the result names them (results stored before grader 0.2 do not), and, only when the
assignment's `race: warn` kept the check's points, that it still scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.checks.messages import render as render_check_template
from grader.report.i18n import N_, Localized, render
from grader.result import CheckResult, Message, TestResult
from grader.scoring import RACE_WARNED

__all__ = ["Race", "race_of", "race_sentence", "race_in_test", "race_in_test_sentence"]

# The run that failed is not on a result stored before scoring named them: say only k of n.
_COUNTS_ONLY = {
    False: N_("your program has a race: it passed in {passed} of {total} runs"),
    True: N_("your program has a race: it passed in {passed} of {total} runs; this assignment takes no "
             "points for a race, so the check still scores"),
}
# What scoring put before the run's own message (its English, grader.scoring.aggregate_check).
_SCORING_PREFIX = re.compile(r"^your program has a race: it passed in \d+ of \d+ runs and failed in runs "
                             r"[\d, ]+; in run (\d+): ")


@dataclass(frozen=True, slots=True)
class Race:
    """What a flaky check (or test) says about its race."""

    passed: int                     # runs it passed in
    total: int                      # runs it was judged in
    failed_runs: tuple[int, ...]    # 1-based; () when the result does not say which
    warned: bool                    # the assignment's `race: warn` kept its points
    shown_run: int | None = None    # the failed run whose own message `detail` is (1-based)
    detail: str = ""                # that run's message (English), without the race sentence


def race_of(check: CheckResult) -> Race | None:
    """The race of a check that held in some runs and not others; None for any other check."""
    if check.status != "flaky":
        return None
    failed = check.params.get("failed_runs")
    runs = tuple(int(r) for r in failed) if isinstance(failed, list) and all(
        isinstance(r, int) and not isinstance(r, bool) for r in failed) else ()
    found = _SCORING_PREFIX.match(check.message)
    if found:
        shown, detail = int(found.group(1)), check.message[found.end():]
    else:
        shown, detail = (runs[0] if runs else None), check.message
    return Race(passed=check.passed_runs, total=check.total_runs, failed_runs=runs,
                warned=bool(check.params.get(RACE_WARNED)), shown_run=shown, detail=detail)


def race_sentence(race: Race, lang: str = "en") -> Localized:
    """'your program has a race: it passed in k of n runs and failed in run(s) ...' in `lang`."""
    if race.failed_runs:
        key = "race.verdict+cost." + ("warn" if race.warned else "none")
        facts = {"passed": race.passed, "total": race.total, "failed": list(race.failed_runs)}
        text = render_check_template(key, facts, lang)
        return Localized(text, lang == "en" or text != render_check_template(key, facts, "en"))
    return render(Message(_COUNTS_ONLY[race.warned], {"passed": race.passed, "total": race.total}), lang)


def race_in_test(test: TestResult) -> Race | None:
    """The race of a flaky test as a whole: in which of its runs some check failed, when its checks say so
    (every counted check judged the same runs and every flaky one names its failed runs); else counts unknown
    (passed and total 0)."""
    if test.status != "flaky":
        return None
    counted = [c for c in test.checks if c.status != "not_applicable"]
    races = [r for r in (race_of(c) for c in counted) if r is not None]
    totals = {c.total_runs for c in counted}
    warned = bool(races) and all(r.warned for r in races)
    if races and len(totals) == 1 and all(r.failed_runs for r in races):
        failed = tuple(sorted({run for r in races for run in r.failed_runs}))
        total = totals.pop()
        return Race(passed=total - len(failed), total=total, failed_runs=failed, warned=warned)
    return Race(passed=0, total=0, failed_runs=(), warned=warned)


def race_in_test_sentence(race: Race) -> str:
    """A flaky test's race in one English sentence (for the text exports, which are English)."""
    if race.total and race.failed_runs:
        runs = ", ".join(str(r) for r in race.failed_runs)
        return (f"Your program has a race: this test passed in {race.passed} of {race.total} runs and failed in "
                f"run(s) {runs}; a correct concurrent program passes in every run.")
    return ("Your program has a race: this test passed in some runs only; a correct concurrent program passes "
            "in every run.")
