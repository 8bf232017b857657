"""The feedback page rendered from stored results: content, safety, hidden tests, languages."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.report import render_html, write_html
from grader.result import Diagnosis, Result

RESULTS = Path(__file__).resolve().parents[1] / "data" / "results"
FIXTURES = sorted(p.name for p in RESULTS.glob("*.json"))


def load(name: str) -> Result:
    return Result.from_json(json.loads((RESULTS / name).read_text(encoding="utf-8")))


class _Tags(HTMLParser):
    """Collects every start tag with its attributes, to check what the page would load or run."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_renders_self_contained(name: str, lang: str) -> None:
    html = render_html(load(name), lang=lang)
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}">' in html
    for tag, attrs in tags(html):
        assert tag not in {"script", "img", "iframe", "object", "embed", "link", "base", "form"}, tag
        for key, value in attrs.items():
            assert not key.startswith("on"), (tag, key)
            if key in {"src", "href", "action", "srcset"}:
                assert value is not None and value.startswith("#"), (tag, key, value)
    assert "Content-Security-Policy" in html
    assert "\x1b" not in html and "\x00" not in html


def test_failed_fork_hello_shows_score_checks_and_pictures() -> None:
    html = render_html(load("fork_hello_four_processes.json"))
    assert 'data-score="0.5" data-max-score="5"' in html
    assert "expected exactly 3 line(s) matching /^hello os$/ on stdout, found 4" in html
    assert "Each fork() call doubles the processes" in html        # the author's hint
    assert "1 child process(es) (pid 10) ended but their parent (pid 8) never waited for them" in html
    assert "your program has a race: it passed in 3 of 5 runs" in html
    first = html.split('id="test-1"')[1].split('id="test-2"')[0]
    tree = first.split('<svg class="tree"')[1].split("</svg>")[0]
    assert sorted(re.findall(r'data-pid="(\d+)"', tree)) == ["10", "7", "8", "9"]
    assert "zombie" in tree and "orphan (adopted by init, PID 1)" in tree
    assert first.count('class="lane lane-process"') == 4


def test_hostile_output_is_shown_literally_and_never_as_markup() -> None:
    html = render_html(load("fork_hello_hostile_output.json"))
    assert "&lt;script&gt;document.title=&#39;PWNED-SCRIPT&#39;" in html
    assert "&lt;img src=x onerror=&#34;document.title=&#39;PWNED-IMG&#39;&#34;&gt;" in html
    assert "&lt;b&gt;2021-99999&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;/pre&gt;&lt;/svg&gt;&lt;/title&gt;&lt;h1&gt;not a heading" in html
    assert "red text and bold green" in html                     # ANSI colours stripped
    assert "evil window title" not in html                       # OSC title dropped
    assert "bad bytes: \\xff\\xfe\\xc3( end" in html
    assert "bell\\x07 nul\\x00 backspace\\x08 bidi &lt;U+202E&gt;evil&lt;U+202C&gt;" in html
    assert "python3.11 &lt;svg onloa" in html                      # program label in the SVG, cut
    assert "Some bytes were not valid UTF-8" in html
    assert not [t for t, _ in tags(html) if t in {"script", "img"}]
    assert sum(1 for t, _ in tags(html) if t == "h1") == 1        # only the page's own title


def test_long_output_is_truncated_with_a_note() -> None:
    html = render_html(load("fork_hello_hostile_output.json"))
    assert "Only the first 200 of 450 lines are shown" in html
    assert "progress 0199" in html and "progress 0200" not in html
    assert "The sandbox stopped recording this output at its size limit" in html


def test_hidden_test_shows_only_name_and_score_to_students() -> None:
    result = load("fork_hello_four_processes.json")
    student = render_html(result)
    section = student.split('id="test-4"')[1].split("</section>")[0]
    assert "hidden: output survives a pipe" in section and "0 / 1" in section
    assert "This is a hidden test: only its name and score are shown." in section
    for secret in ("SECRET-HINT", "SECRET-DIAGNOSIS", "secret detail"):
        assert secret not in student
    staff = render_html(result, audience="staff")
    assert "SECRET-HINT" in staff and "secret detail" in staff


def test_after_due_date_tests_open_after_the_due_date() -> None:
    result = load("compile_error.json")
    before = render_html(result)
    assert before.count("This is a hidden test") == 1
    after = render_html(result, after_due_date=True)
    assert "This is a hidden test" not in after


def test_compile_error_shows_compiler_output_without_colour_codes() -> None:
    html = render_html(load("compile_error.json"))
    assert "error: ‘pid_t’ undeclared" in html
    assert "This test could not run: The program did not compile." in html


def test_grader_error_is_stated_plainly() -> None:
    result = load("compile_error.json")
    result.error = "sandbox image 'grader-sandbox:0.1.0' is missing"
    html = render_html(result)
    assert "The grader itself failed while grading this submission" in html
    assert "grader-sandbox:0.1.0" in html


def test_korean_page_translates_labels_and_diagnoses() -> None:
    html = render_html(load("fork_hello_four_processes.json"), lang="ko")
    assert "프로세스 트리" in html and "타임라인" in html and "표준 출력" in html
    assert ("자식 프로세스 1개(PID 10)는 종료되었지만 부모 프로세스(PID 8)가 wait()으로 회수하지 않아, "
            "부모가 끝날 때까지 좀비 프로세스로 남았습니다.") in html
    assert "프로세스 1개(PID 10)는 부모 프로세스가 끝난 뒤에도 실행 중이어서 init에 입양된 고아 프로세스가 되었습니다." in html
    assert "조건에 맞는 줄이 4줄 출력되었는데, 과제에서 요구한 개수와 다릅니다." in html
    assert "프로그램이 실행한 프로세스는 4개로, 과제에서 요구한 개수와 다릅니다." in html
    assert "조건에 맞는 줄을 출력한 프로세스는 PID 7, 8, 9, 10입니다." in html
    assert "자식 프로세스 1개를 부모 프로세스가 wait()으로 회수하지 않았습니다" in html
    # The English original stays available under the translation.
    assert "자세한 내용(영어 원문): expected exactly 3 process(es), the program ran 4" in html
    for english in ("Process tree", "Timeline", "Standard output", "Expected</dt>", "Why:</strong>", "Hint:"):
        assert english not in html


def test_korean_falls_back_to_english_for_unknown_codes_and_says_so() -> None:
    result = load("fork_hello_four_processes.json")
    result.diagnoses.append(Diagnosis(code="brand_new_code", message="Something new <happened>."))
    html = render_html(result, lang="ko")
    assert "Something new &lt;happened&gt;. <span class=\"muted\">(영어 원문)</span>" in html


def test_korean_passed_checks_and_timeouts() -> None:
    pool = render_html(load("worker_pool_64_tasks.json"), lang="ko")
    assert pool.count("요구 조건을 만족했습니다.") == 2
    assert "PID 31 프로세스가 SIGSEGV 시그널을 받고 강제로 종료되었습니다." in pool
    hang = render_html(load("pipe_write_end_open_timeout.json"), lang="ko")
    assert "프로그램이 제한 시간(5000 ms) 안에 끝나지 않아 강제로 중단되었습니다." in hang
    assert "PID 8 프로세스는 pipe:[61234]에서 읽기를 끝없이 기다렸습니다." in hang


def test_korean_falls_back_to_a_sentence_without_params() -> None:
    result = load("fork_hello_four_processes.json")
    result.diagnoses.append(Diagnosis(code="zombie", message="A zombie.", params={}))
    html = render_html(result, lang="ko")
    assert "자식 프로세스가 종료되었지만 부모 프로세스가 wait()으로 회수하지 않아 좀비 프로세스로 남았습니다." in html


def test_unknown_language_or_audience_is_a_usage_error() -> None:
    result = load("compile_error.json")
    with pytest.raises(UsageError):
        render_html(result, lang="fr")
    with pytest.raises(UsageError):
        render_html(result, audience="everyone")


def test_write_html(tmp_path: Path) -> None:
    path = write_html(load("compile_error.json"), tmp_path / "out" / "feedback.html", lang="ko")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not list(path.parent.glob("*.tmp"))


# ---------------------------------------------------------------- hygiene, bounds, Korean names


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.extend(str(v) for k, v in attrs if k == "id")


def ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    return parser.ids


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", FIXTURES)
def test_html_ids_are_unique_on_every_page(name: str, lang: str) -> None:
    for audience in ("student", "staff"):
        found = ids(render_html(load(name), lang=lang, audience=audience))
        assert found and len(found) == len(set(found)), sorted(i for i in found if found.count(i) > 1)


def _with_shared_cause() -> Result:
    """Three tests: two failed with the same zombie cause, one passed that also carries it."""
    from grader.result import Evidence
    from grader.result import TestResult as _Test

    def zombie() -> Diagnosis:
        return Diagnosis(code="zombie", message="pid 9 ended but pid 8 never waited for it.",
                         evidence=[Evidence(label="zombies", lines=["pid 9"], tasks=[9])])

    result = load("fork_hello_four_processes.json")
    base = result.tests[0]
    result.tests = [
        _Test(name="one", status="failed", score=0, max_score=1, checks=base.checks, diagnoses=[zombie()]),
        _Test(name="two", status="passed", score=1, max_score=1, diagnoses=[zombie()]),
        _Test(name="three", status="failed", score=0, max_score=1, diagnoses=[zombie()]),
    ]
    return result


def test_why_boxes_only_under_failed_tests_and_once_per_page() -> None:
    html = render_html(_with_shared_cause())
    assert html.count('class="diagnosis"') == 1
    one = html.split('id="test-1"')[1].split("</section>")[0]
    two = html.split('id="test-2"')[1].split("</section>")[0]
    three = html.split('id="test-3"')[1].split("</section>")[0]
    assert 'class="diagnosis" data-code="zombie" id="why-1-1"' in one
    assert "Why" not in two                                        # it passed: no explanation of a failure
    assert 'class="diagnosis-ref"' in three and 'href="#why-1-1"' in three
    assert "(explained under test 1)" in three


def test_a_test_that_did_not_run_points_at_the_cause_once() -> None:
    result = load("compile_error.json")
    result.diagnoses[0].message = "The program did not compile."
    for test in result.tests:
        test.message = "not run: The program did not compile."
    html = render_html(result, audience="staff")
    assert "not run: not run:" not in html and "not run:" not in html
    assert html.count("This test did not run because of the problem explained at the top of the page.") == 2
    assert html.count("The program did not compile.") == 1
    # A reason that is not told above keeps its words, once, without the prefix.
    result.tests[0].message = "not run: the sandbox returned no runs"
    html = render_html(result)
    assert "This test could not run: the sandbox returned no runs" in html
    result.tests[0].message = "the test could not be run: the sandbox returned no runs"
    html = render_html(result)
    assert "This test could not run: the sandbox returned no runs" in html and "could not be run" not in html


def _run(execution: dict[str, object]) -> object:
    from grader.result import RunSummary

    return RunSummary(index=0, exit_code=0, signal=None, wall_ms=10, execution=execution)


def test_a_3000_deep_chain_gets_a_page_with_the_depth_summarised() -> None:
    from test_report_layout import _chain

    result = load("fork_hello_four_processes.json")
    result.tests[0].runs = [_run(_chain(3000))]  # type: ignore[list-item]
    html = render_html(result)
    assert "… 2990 more generations not drawn (2990 processes) …" in html
    assert len(html) < 400_000
    korean = render_html(result, lang="ko")
    assert "그리지 않은 세대 2990개" in korean


def test_ten_thousand_threads_make_a_small_page() -> None:
    from test_report_layout import _threads

    result = load("fork_hello_four_processes.json")
    result.tests[0].runs = [_run(_threads(10_000))]  # type: ignore[list-item]
    html = render_html(result)
    assert len(html.encode()) < 400_000, len(html)
    assert "… 9901 more tasks not drawn (0 processes, 9901 threads) …" not in html   # no "0 processes" clause
    assert "… 9901 more tasks not drawn" in html and "9901 threads" in html
    assert "(1 process, 10000 threads)" in html                    # the caption counts every task


def test_evidence_lists_a_bounded_number_of_tasks_and_sentences_are_cut() -> None:
    from grader.result import Evidence

    result = load("fork_hello_four_processes.json")
    result.tests[1].diagnoses = [Diagnosis(code="zombie", message="pids " + ", ".join(map(str, range(5000))),
                                           evidence=[Evidence(label="zombies", tasks=list(range(5000)))])]
    html = render_html(result)
    assert "and 4970 more" in html
    assert "4999" not in html.split('data-code="zombie"')[1].split("</div>")[0]


def test_korean_page_shows_title_ko_test_name_ko_and_korean_evidence_labels() -> None:
    result = load("fork_hello_four_processes.json")
    result.assignment_title_ko = "세 프로세스에서 hello os"
    result.tests[0].name_ko = "hello os 세 번"
    from grader.result import Evidence

    result.tests[1].diagnoses[0].evidence = [Evidence(label="zombies", lines=["pid 10"], tasks=[10]),
                                             Evidence(label="children of pid 8", tasks=[10])]
    korean = render_html(result, lang="ko")
    assert "<h1>세 프로세스에서 hello os</h1>" in korean
    assert "1. hello os 세 번" in korean
    labels = [label.strip() for label in re.findall(r"<summary>근거: ([^<]+)", korean)]
    assert "zombies" not in labels and "children of pid 8" not in labels
    assert "좀비 프로세스" in labels and "PID 8의 자식 프로세스" in labels
    english = render_html(result)
    assert "세 프로세스" not in english and "hello os 세 번" not in english


def test_check_evidence_lines_given_as_templates_are_korean_on_the_korean_page() -> None:
    from grader.result import Evidence, Message

    result = load("fork_hello_four_processes.json")
    result.tests[0].checks[0].evidence = [Evidence(label="zombies", items=[Message("children of pid {pid}", {"pid": 8})])]
    korean = render_html(result, lang="ko")
    section = korean.split('id="test-1"')[1].split("</section>")[0]
    assert "PID 8의 자식 프로세스" in section and "children of pid 8" not in section
    assert "children of pid 8" in render_html(result).split('id="test-1"')[1].split("</section>")[0]


def test_a_long_list_of_pids_in_a_sentence_is_cut_between_pids() -> None:
    result = load("fork_hello_four_processes.json")
    pids = ", ".join(f"pid {p}" for p in range(100, 2100))
    result.tests[1].diagnoses = [Diagnosis(code="orphan", message=f"2000 process(es) ({pids}) were orphans.")]
    html = render_html(result)
    box = html.split('data-code="orphan"')[1].split("</p>")[0]
    shown = re.findall(r"pid (\d+)", box)
    assert shown and len(shown) < 200 and box.rstrip().endswith(", …")
    assert all(100 <= int(p) < 2100 for p in shown) and shown[-1] == str(100 + len(shown) - 1)


def test_tasks_the_model_did_not_keep_are_counted_in_the_caption() -> None:
    from test_report_layout import _threads

    execution = _threads(2000)
    execution["summarized"] = {"json_tasks": 8001}
    result = load("fork_hello_four_processes.json")
    result.tests[0].runs = [_run(execution)]  # type: ignore[list-item]
    html = render_html(result)
    assert "(1 process, 2000 threads, and 8001 more tasks the grader did not keep)" in html
    assert "grader가 기록하지 않은 태스크 8001개 더" in render_html(result, lang="ko")
