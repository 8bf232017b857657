"""A check that held in some runs and not others is named as a race in every output a student or TA reads:
the page and the class summary (English and Korean), Gradescope, PrairieLearn, GitHub Classroom and JUnit,
with the runs that failed when the result names them, and "still scores" only when `race: warn` kept the
points. A check that failed in every run is never called a race."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import etree
from test_checks import check

from grader.batch.store import StoredResult
from grader.batch.summary import render_index, summarize
from grader.checks.base import CheckOutcome
from grader.platforms.classroom import to_classroom
from grader.platforms.prairielearn import to_prairielearn
from grader.report import render_html, to_gradescope, to_junit_xml
from grader.result import Result
from grader.result import TestResult as Tested
from grader.scoring import aggregate_check, overall_status, score_checks

RESULTS = Path(__file__).resolve().parents[1] / "data" / "results"

OK = CheckOutcome(True, "ok")
BAD = CheckOutcome(False, "expected total=2000000, got total=1370022", expected="total=2000000",
                   observed="total=1370022")

EN = "your program has a race: it passed in 3 of 5 runs and failed in run(s) 2, 4"
EN_WARN = EN + "; this assignment takes no points for a race, so the check still scores"
KO = "프로그램에 경쟁 상태(race)가 있습니다: 5번 실행 중 3번 통과했고 2, 4번째 실행에서 실패했습니다"
KO_WARN = KO + "; 이 과제는 경쟁 상태(race)로 점수를 깎지 않으므로 이 검사는 점수를 받습니다"
STILL_SCORES = ("still scores", "점수를 받습니다")


def _graded(outcomes: list[CheckOutcome], race: str = "fail") -> Result:
    subject = check("output.exact", text="total=2000000\n")
    verdict = aggregate_check(subject, list(enumerate(outcomes)))
    score = score_checks([verdict], 3.0, race=race)  # type: ignore[arg-type]
    test = Tested(name="the total is exact", status=overall_status([verdict]), score=score, max_score=3.0,
                  checks=[verdict])
    return Result(assignment_id="counter", assignment_title="Counter", submission="kim", score=score,
                  max_score=3.0, tests=[test])


def _racy(race: str = "fail") -> Result:
    return _graded([OK, BAD, OK, BAD, OK], race)


def _failed() -> Result:
    return _graded([BAD] * 5)


def _recorded() -> Result:
    """fork-hello as graded before scoring named the failed runs: a flaky check with counts only."""
    return Result.from_json(json.loads((RESULTS / "fork_hello_four_processes.json").read_text(encoding="utf-8")))


def _words(html: str) -> str:
    """The page's text as a reader sees it: no style sheet, no tags, spaces collapsed."""
    body = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&#39;", "'")


def _race_paragraphs(html: str) -> list[str]:
    return [_words(p).strip() for p in re.findall(r'<p class="race"[^>]*>(.*?)</p>', html, flags=re.S)]


def _says_race(text: str) -> bool:
    return re.search(r"\brace\b|경쟁 상태", text, flags=re.I) is not None


# ----------------------------------------------------------------- the page


def test_the_page_names_the_race_once_with_the_failed_runs_in_english_and_korean() -> None:
    english = render_html(_racy(), lang="en")
    assert _race_paragraphs(english) == [EN]
    words = _words(english)
    assert words.count("your program has a race") == 1          # not the sentence and scoring's message again
    assert "In run 2: expected total=2000000, got total=1370022" in words
    assert "1 test shows a race in your program (it passed in some runs only)." in words
    assert "Flaky" not in words and "flaky" not in words and "held in" not in words
    assert not any(s in words for s in STILL_SCORES)           # race: fail took the points: never says it kept them
    korean = render_html(_racy(), lang="ko")
    assert _race_paragraphs(korean) == [KO]
    words = _words(korean)
    assert "2번째 실행에서: 출력이 기대한 내용과 다릅니다." in words
    assert "테스트 1개에서 프로그램의 경쟁 상태(race)가 드러났습니다(일부 실행에서만 통과)." in words
    assert "불안정" not in words and not any(s in words for s in STILL_SCORES)


def test_race_warn_says_the_check_still_scores_and_race_fail_does_not() -> None:
    warned = _racy("warn")
    assert warned.score == 3.0
    assert _race_paragraphs(render_html(warned, lang="en")) == [EN_WARN]
    assert _race_paragraphs(render_html(warned, lang="ko")) == [KO_WARN]
    assert _racy("fail").score == 0.0


def test_a_result_stored_without_the_failed_runs_says_k_of_n_only() -> None:
    result = _recorded()
    flaky = result.tests[2].checks[0]
    assert flaky.status == "flaky" and "failed_runs" not in flaky.params
    assert _race_paragraphs(render_html(result, lang="en")) == ["your program has a race: it passed in 3 of 5 runs"]
    assert _race_paragraphs(render_html(result, lang="ko")) == ["프로그램에 경쟁 상태(race)가 있습니다: 5번 실행 중 3번 통과했습니다"]


def test_a_check_that_failed_in_every_run_is_not_called_a_race_on_the_page() -> None:
    for lang in ("en", "ko"):
        html = render_html(_failed(), lang=lang)
        assert _race_paragraphs(html) == [] and not _says_race(_words(html)), lang
    assert "Held in 0 of 5 runs." in _words(render_html(_failed()))


# ----------------------------------------------------------------- the class summary


def _stored(result: Result, student: str) -> StoredResult:
    result.submission = student
    return StoredResult(student=student, submission_hash=student, assignment_hash="a", grader_version="1",
                        outcome="graded", result=result)


def test_the_class_summary_names_races_in_english_and_korean() -> None:
    summary = summarize([_stored(_racy(), "kim"), _stored(_failed(), "lee")])
    english = _words(render_index(summary, lang="en"))
    assert "Checks with a race" in english and "Students whose program has a race" in english
    assert ("Checks that passed in some runs and failed in others: the program has a race, and its result depends "
            "on how its threads and processes were scheduled.") in english
    assert "With a race" in english and "Flaky" not in english and "flaky" not in english
    racy = english.split("Submissions with a race")[1].split("Most common diagnoses")[0]
    assert "kim" in racy and "lee" not in racy and "3/5 2, 4" in racy
    korean = _words(render_index(summary, lang="ko"))
    assert "경쟁 상태(race)가 드러난 검사" in korean and "프로그램에 경쟁 상태(race)가 있는 학생" in korean
    assert ("어떤 실행에서는 통과하고 다른 실행에서는 실패한 검사입니다: 프로그램에 경쟁 상태(race)가 있어 결과가 스레드와 "
            "프로세스의 스케줄링에 따라 달라집니다.") in korean
    assert "불안정" not in korean
    clean = _words(render_index(summarize([_stored(_failed(), "lee")]), lang="en"))
    assert "No check shows a race." in clean and "No submission has a race." in clean


# ----------------------------------------------------------------- Gradescope, PrairieLearn, Classroom, JUnit


def _gradescope_text(result: Result) -> str:
    output = to_gradescope(result)["tests"][0]["output"]
    return output.removeprefix("<pre>").split("</pre>")[0].replace("&#39;", "'")


def test_gradescope_names_the_race_and_the_failed_runs() -> None:
    assert _gradescope_text(_racy()).splitlines()[:3] == [
        "Your program has a race: this test passed in 3 of 5 runs and failed in run(s) 2, 4; a correct concurrent "
        "program passes in every run.",
        f"[RACE] output.exact: {EN}",
        "    in run 2: expected total=2000000, got total=1370022",
    ]
    assert _gradescope_text(_racy("warn")).splitlines()[1] == f"[RACE] output.exact: {EN_WARN}"
    assert not any(s in _gradescope_text(_racy()) for s in STILL_SCORES)
    assert "held in" not in _gradescope_text(_racy()) and "FLAKY" not in _gradescope_text(_racy())


def test_gradescope_on_a_recorded_flaky_result_says_k_of_n() -> None:
    output = to_gradescope(_recorded())["tests"][2]["output"].replace("&#39;", "'")
    assert ("Your program has a race: this test passed in some runs only; a correct concurrent program passes in "
            "every run.") in output
    assert ("[RACE] output.happens_before: your program has a race: it passed in 3 of 5 runs\n"
            "    the parent's last line came before a child's line (run 2)\n") in output


def test_prairielearn_and_classroom_name_the_race() -> None:
    entry = to_prairielearn(_racy())["tests"][0]
    assert entry["message"] == "Your program has a race: passed in 3 of 5 runs, failed in run(s) 2, 4"
    assert f"[RACE] output.exact: {EN}\n" in entry["output"]
    assert to_prairielearn(_recorded())["tests"][2]["message"] == "Your program has a race: passed in some runs only"
    hidden = _racy()
    hidden.tests[0].visibility = "hidden"                        # its runs are not told, only that it has a race
    assert to_prairielearn(hidden)["tests"][0]["message"] == "Your program has a race: passed in some runs only"
    assert f"[RACE] output.exact: {EN}\n" in to_classroom(_racy())["tests"][0]["message"]


def _failure(result: Result) -> etree._Element:
    document = etree.fromstring(to_junit_xml([result], hostname="h").encode("utf-8"))
    return document.find(".//failure")


def test_junit_names_the_race() -> None:
    failure = _failure(_racy())
    assert failure.get("message") == f"{EN}; in run 2: expected total=2000000, got total=1370022"
    assert (failure.text or "").splitlines()[:2] == [f"[race] output.exact: {EN}",
                                                     "  in run 2: expected total=2000000, got total=1370022"]
    assert f"[race] output.exact: {EN_WARN}" in (_failure(_racy("warn")).text or "")


def test_no_export_calls_a_failure_in_every_run_a_race() -> None:
    failed = _failed()
    assert not _says_race(_gradescope_text(failed))
    pl = to_prairielearn(failed)["tests"][0]
    assert pl["message"] == "Failed" and not _says_race(pl["output"])
    assert not _says_race(to_classroom(failed)["tests"][0]["message"])
    failure = _failure(failed)
    assert not _says_race(failure.get("message") or "") and not _says_race(failure.text or "")
    assert "passed in 0 of 5 runs" in (failure.text or "")
    # The recorded fork-hello's tests that failed outright say no race either.
    recorded = to_gradescope(_recorded())["tests"]
    assert [_says_race(t["output"]) for t in recorded] == [False, False, True, False]
