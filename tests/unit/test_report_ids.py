"""Every rendered page has unique HTML ids, and every in-page reference (#id, url(#id)) names one of them."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader.batch.gradebook import render_student_html
from grader.batch.store import StoredResult
from grader.batch.summary import render_index, summarize
from grader.report.html import render_html
from grader.result import Result

RESULTS = Path(__file__).resolve().parents[1] / "data" / "results"
FIXTURES = sorted(p.name for p in RESULTS.glob("*.json"))
_URL_REF = re.compile(r"url\(#([^)]+)\)")


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.ids[value] += 1
            elif name in ("href", "xlink:href") and value.startswith("#") and len(value) > 1:
                self.refs.append(value[1:])
            self.refs.extend(_URL_REF.findall(value))

    handle_startendtag = handle_starttag


def check_ids(html: str) -> None:
    parsed = _Ids()
    parsed.feed(html)
    repeated = {i: n for i, n in parsed.ids.items() if n > 1}
    assert not repeated, f"ids used more than once: {repeated}"
    dangling = sorted(set(parsed.refs) - set(parsed.ids))
    assert not dangling, f"references to no id: {dangling}"


def test_the_checker_sees_a_repeated_id_and_a_dangling_reference() -> None:
    with pytest.raises(AssertionError, match="more than once"):
        check_ids('<p id="test-1"></p><svg><marker id="test-1"/></svg>')
    with pytest.raises(AssertionError, match="references to no id"):
        check_ids('<a href="#why-1-1">why</a>')
    check_ids('<p id="a"></p><a href="#a">a</a><rect fill="url(#a)"/>')


def _load(name: str) -> Result:
    return Result.from_json(json.loads((RESULTS / name).read_text(encoding="utf-8")))


def _crowded(name: str, copies: int = 6, runs: int = 4) -> Result:
    """The result with its tests repeated `copies` times, each with `runs` runs and its diagnoses kept:
    many trees, timelines, why-boxes and references on one page."""
    result = _load(name)
    tests = []
    for round_ in range(copies):
        for test in result.tests:
            clone = copy.deepcopy(test)
            clone.name = f"{test.name} #{round_ + 1}"
            if clone.runs:
                clone.runs = [copy.deepcopy(clone.runs[i % len(clone.runs)]) for i in range(runs)]
                for index, run in enumerate(clone.runs):
                    run.index = index
            tests.append(clone)
    result.tests = tests
    result.diagnoses = result.diagnoses + copy.deepcopy(result.diagnoses)
    return result


@pytest.mark.parametrize("name", FIXTURES)
@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("audience", ["student", "staff"])
def test_feedback_page_ids_are_unique(name: str, lang: str, audience: str) -> None:
    check_ids(render_html(_crowded(name), lang=lang, audience=audience))


def test_a_crowded_page_really_has_many_pictures() -> None:
    page = render_html(_crowded("fork_hello_four_processes.json"), lang="en", audience="staff")
    assert page.count('<svg class="tree"') >= 6 and page.count('<svg class="timeline"') >= 6
    assert len(re.findall(r'id="why-', page)) >= 2


def test_batch_pages_ids_are_unique() -> None:
    stored = [StoredResult(student=f"s{i:03d}", submission_hash=str(i), assignment_hash="A", grader_version="t",
                           outcome="graded", result=_load(FIXTURES[i % len(FIXTURES)])) for i in range(40)]
    for lang in ("en", "ko"):
        check_ids(render_index(summarize(stored, missing=["late1"], names={"s001": "Kim Minsu"},
                                         absent=[("zed", "Zed Park")]), lang=lang))
        check_ids(render_student_html(_crowded("pipe_write_end_open_timeout.json"), lang=lang))
