"""The race diagram beside the timeline: a race.none check that failed with ThreadSanitizer's evidence is drawn
as a small server-rendered SVG, the two threads as lanes and the two accesses as marks with an arrow from the
first to the second, in English and Korean, every text escaped; a result without that evidence draws none.
Rendered from the run recorded in the real sandbox (tests/data/race/tsan/recorded.json)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from test_report_html import load, tags
from test_sanitize import RECORDED, _evidence, _log, _race_none

from grader.checks.base import CheckOutcome
from grader.report import render_html
from grader.result import CheckResult, Evidence, Message, Result, RunSummary
from grader.result import TestResult as Tested
from grader.sanitize import parse_tsan
from grader.scoring import aggregate_check
from grader.trace.parser import parse_trace

SVG = "{http://www.w3.org/2000/svg}"
RACY = parse_tsan(_log("racy"))
T1, T2 = RACY[0].previous.tid, RACY[0].current.tid


def _graded(checks: list[CheckResult], *, visibility: str = "visible") -> Result:
    """The recorded run graded and stored: the result as its JSON reads back."""
    execution = parse_trace("\n".join(RECORDED["racy"]["trace_lines"])).to_json()
    test = Tested(name="no data race", status="failed", score=0.0, max_score=1.0, checks=checks,
                  visibility=visibility,  # type: ignore[arg-type]
                  runs=[RunSummary(index=0, exit_code=RECORDED["racy"]["exit_code"], signal=None, wall_ms=40,
                                   execution=execution)])
    result = Result(assignment_id="race-tsan", assignment_title="Two threads share a flag", submission="kim",
                    score=0.0, max_score=1.0, tests=[test])
    return Result.from_json(json.loads(json.dumps(result.to_json())))


def _racy_check() -> CheckResult:
    return aggregate_check(_race_none(), [(0, _race_none().evaluate(_evidence("racy")))])


def _diagrams(html: str) -> list[ET.Element]:
    return [ET.fromstring(svg) for svg in re.findall(r'<svg class="race".*?</svg>', html, flags=re.S)]


def _labels(svg: ET.Element, kind: str) -> list[str]:
    return [(t.text or "") for t in svg.iter(f"{SVG}text") if t.get("class") == kind]


def test_the_recorded_race_is_drawn_with_both_threads_and_both_accesses() -> None:
    check = _racy_check()
    assert check.status == "failed"
    html = render_html(_graded([check]))
    first, second = _diagrams(html)                              # the log names two races: done and result
    assert _labels(first, "lane-label") == [f"T1 (tid {T1})", f"T2 (tid {T2})"]
    assert _labels(first, "access-label") == ["first: write at share.c:13 (T1)", "then: read at share.c:20 (T2)"]
    assert _labels(second, "access-label") == ["first: write at share.c:12 (T1)", "then: read at share.c:22 (T2)"]
    marks = [g for g in first.iter(f"{SVG}g") if g.get("class", "").startswith("access ")]
    assert [(g.get("data-order"), g.get("data-kind"), g.get("data-tid")) for g in marks] == [
        ("first", "write", str(T1)), ("then", "read", str(T2))]
    assert [g.find(f"{SVG}title").text for g in marks] == [  # type: ignore[union-attr]
        "a write of 4 bytes in producer(), by thread T1", "a read of 4 bytes in consumer(), by thread T2"]
    arrow = next(line for line in first.iter(f"{SVG}line") if line.get("class") == "arrow arrow-race")
    assert arrow.get("marker-end") == "url(#race-1-1-then)" and first.find(f".//{SVG}marker[@id='race-1-1-then']") is not None
    lanes = {g.get("data-tid"): float(g.find(f"{SVG}line").get("y1")) for g in first.iter(f"{SVG}g")  # type: ignore[union-attr,arg-type]
             if g.get("class") == "lane lane-thread"}
    x1, y1, x2, y2 = (float(arrow.get(k)) for k in ("x1", "y1", "x2", "y2"))  # type: ignore[arg-type]
    assert x1 < x2 and abs(y1 - lanes[str(T1)]) < 8 and abs(y2 - lanes[str(T2)]) < 8   # from T1's mark to T2's
    assert "Data race 1 on the variable &#39;done&#39;" in html and "Data race 2 on the variable &#39;result&#39;" in html


def test_the_diagram_stands_beside_the_timeline_and_loads_nothing() -> None:
    html = render_html(_graded([_racy_check()]))
    section = html.split('id="test-1"')[1]
    assert section.index('<svg class="timeline"') < section.index('<figure class="races">') \
        < section.index("Standard output")
    for svg in re.findall(r'<svg class="race".*?</svg>', html, flags=re.S):
        for tag, attrs in tags(svg):
            assert tag in {"svg", "defs", "marker", "path", "g", "text", "line", "title", "rect", "circle"}, tag
            assert not any(key.startswith("on") or "href" in key for key in attrs), (tag, attrs)
    assert not any(tag == "script" for tag, _ in tags(html))


def test_the_diagram_in_korean() -> None:
    html = render_html(_graded([_racy_check()]), lang="ko")
    first = _diagrams(html)[0]
    assert _labels(first, "access-label") == ["먼저: share.c:13에서 쓰기 (T1)", "그다음: share.c:20에서 읽기 (T2)"]
    assert "ThreadSanitizer가 찾은 데이터 경쟁" in html and "데이터 경쟁 1: 변수 &#39;done&#39;" in html
    arrow = next(line for line in first.iter(f"{SVG}line") if line.get("class") == "arrow arrow-race")
    assert arrow.find(f"{SVG}title").text == "그다음 접근: 두 접근 사이에 잠금이나 다른 순서 보장이 없습니다"  # type: ignore[union-attr]


def test_every_text_in_the_diagram_is_escaped() -> None:
    hostile = '<script>alert(1)</script>.c:7'
    items = [Message("data race {number}, on the variable {variable}:", {"number": 1, "variable": "'<b>x</b>'"}),
             Message("first: a write of {size} bytes at {where} in {function}, by thread {thread}",
                     {"size": 4, "where": hostile, "function": "f()", "thread": 'T1" onload="x (tid 5)'}),
             Message("then: a read of {size} bytes at {where} in {function}, by thread {thread}",
                     {"size": 4, "where": "a.c:9", "function": "<g()>", "thread": "T2 (tid 6)"})]
    check = CheckResult(kind="race.none", status="failed", message="ThreadSanitizer found a data race",
                        evidence=[Evidence(label="the accesses that raced (ThreadSanitizer)", items=items, run=0)])
    html = render_html(_graded([check]))
    svg = re.findall(r'<svg class="race".*?</svg>', html, flags=re.S)[0]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;.c:7" in svg
    assert "<b>" not in svg and 'onload="x' not in html and "&lt;g()&gt;" in svg
    assert _labels(ET.fromstring(svg), "access-label")[0] == "first: write at <script>alert(1)</script>.c:7 (T1\" onload=\"x)"


def test_no_diagram_without_the_sanitizers_two_accesses() -> None:
    clean_log = {**RECORDED["racy"]["sanitizer"], "files": []}
    passed = aggregate_check(_race_none(), [(0, _race_none().evaluate(
        _evidence("racy", trace="", sanitizer=clean_log, exit_code=0)))])
    tampered = aggregate_check(_race_none(), [(0, _race_none().evaluate(_evidence("tamper")))])
    other = aggregate_check(_race_none(), [(0, CheckOutcome(False, "expected 42", expected="42", observed="41"))])
    assert passed.status == "passed" and tampered.status == "failed" and tampered.evidence
    for checks in ([passed], [tampered], [other]):
        html = render_html(_graded(checks))
        assert '<svg class="race"' not in html and 'class="races"' not in html, checks[0].message
    assert '<svg class="race"' not in render_html(load("fork_hello_four_processes.json"))
    # A hidden test shows only its name and score: its races are not drawn either.
    assert '<svg class="race"' not in render_html(_graded([_racy_check()], visibility="hidden"))
    assert '<svg class="race"' in render_html(_graded([_racy_check()], visibility="hidden"), audience="staff")
