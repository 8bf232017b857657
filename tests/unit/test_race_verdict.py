"""The race verdict: a check that held in some runs and not others names the race (k of n, which runs
failed) in English and Korean; `race: warn` keeps its points; the class summary lists racy submissions."""

from __future__ import annotations

from test_checks import check

from grader.batch.store import StoredResult
from grader.batch.summary import render_index, summarize
from grader.checks.base import CheckOutcome
from grader.report import render_html
from grader.result import CheckResult, Result
from grader.result import TestResult as Tested
from grader.scoring import RACE_WARNED, aggregate_check, overall_status, score_checks
from grader.spec.loader import parse_assignment

OK = CheckOutcome(True, "ok")
BAD = CheckOutcome(False, "expected total=2000000, got total=1370022", expected="total=2000000",
                   observed="total=1370022")


def _racy() -> CheckResult:
    subject = check("output.exact", text="total=2000000\n")
    return aggregate_check(subject, [(0, OK), (1, BAD), (2, OK), (3, BAD), (4, OK)])


def test_a_check_that_held_in_some_runs_names_the_race_and_the_failing_runs() -> None:
    verdict = _racy()
    assert verdict.status == "flaky"
    assert verdict.message.startswith("your program has a race: it passed in 3 of 5 runs and failed in runs 2, 4; "
                                      "in run 2: expected total=2000000")
    assert verdict.params["failed_runs"] == [2, 4]


def test_a_check_that_failed_everywhere_is_not_called_a_race() -> None:
    subject = check("output.exact", text="x")
    verdict = aggregate_check(subject, [(0, BAD), (1, BAD)])
    assert verdict.status == "failed" and "race" not in verdict.message and "failed_runs" not in verdict.params


def test_race_fail_takes_the_points_and_race_warn_keeps_them() -> None:
    fail = [_racy(), aggregate_check(check("process.count", equals=1), [(0, OK)])]
    assert score_checks(fail, 4.0) == 2.0 and fail[0].score == 0.0
    assert RACE_WARNED not in fail[0].params
    warn = [_racy(), aggregate_check(check("process.count", equals=1), [(0, OK)])]
    assert score_checks(warn, 4.0, race="warn") == 4.0
    assert warn[0].params[RACE_WARNED] is True and warn[0].status == "flaky"
    assert overall_status(warn) == "flaky"      # the test still says it was not the same in every run
    # warn does not rescue a check that failed in every run
    failed = [aggregate_check(check("output.exact", text="x"), [(0, BAD), (1, BAD)])]
    assert score_checks(failed, 1.0, race="warn") == 0.0


def test_the_assignment_says_what_a_race_costs() -> None:
    text = "id: a\ntitle: A\nlanguage: c\nfiles: [a.c]\nrun: [./a]\n{race}tests:\n  - name: t\n    checks:\n" \
           "      - output.exact: 'x'\n"
    assert parse_assignment(text.format(race="")).race == "fail"
    assert parse_assignment(text.format(race="race: warn\n")).race == "warn"


def _result(checks: list[CheckResult], student: str = "s1") -> Result:
    score = score_checks(checks, 3.0, race="warn" if any(c.params.get(RACE_WARNED) for c in checks) else "fail")
    test = Tested(name="the total is exact", status=overall_status(checks), score=score, max_score=3.0,
                      checks=checks)
    return Result(assignment_id="race-fix", assignment_title="Race", submission=student, score=score,
                  max_score=3.0, tests=[test])


def test_the_page_names_the_race_in_english_and_korean() -> None:
    result = _result([_racy()])
    english = render_html(result, lang="en")
    assert "your program has a race: it passed in 3 of 5 runs and failed in run(s) 2, 4" in english
    assert 'data-race="3/5"' in english
    korean = render_html(result, lang="ko")
    assert "프로그램에 경쟁 상태(race)가 있습니다: 5번 실행 중 3번 통과했고 2, 4번째 실행에서 실패했습니다" in korean


def test_the_page_says_when_a_race_costs_no_points() -> None:
    racy = _racy()
    score_checks([racy], 3.0, race="warn")
    result = _result([racy])
    assert "this assignment takes no points for a race, so the check still scores" in render_html(result)
    assert "이 과제는 경쟁 상태(race)로 점수를 깎지 않으므로" in render_html(result, lang="ko")


def test_a_passing_check_has_no_race_sentence() -> None:
    passed = aggregate_check(check("output.exact", text="x"), [(0, OK), (1, OK)])
    assert "has a race" not in render_html(_result([passed]))


def test_the_class_summary_lists_racy_submissions() -> None:
    clean = aggregate_check(check("output.exact", text="x"), [(0, OK), (1, OK)])
    stored = [StoredResult(student=name, submission_hash=name, assignment_hash="a", grader_version="1",
                           outcome="graded", result=_result(checks, name))
              for name, checks in (("kim", [_racy()]), ("lee", [clean]))]
    summary = summarize(stored)
    assert [(r.student, r.passed_runs, r.total_runs, r.failed_runs) for r in summary.racy] == [("kim", 3, 5, [2, 4])]
    page = render_index(summary)
    racy = page.split('id="racy"')[1].split("</table>")[0]
    assert "kim" in racy and "lee" not in racy and "2, 4" in racy and "3/5" in racy
    assert "경쟁 상태(race)가 있는 제출" in render_index(summary, lang="ko")
    assert "No submission has a race." in render_index(summarize(stored[1:]))
