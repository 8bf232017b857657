"""A process chain far deeper than Python's stack: checks, grading, diagnoses, JSON and page never recurse.

The depth of a process tree is the student's to choose (hostile case 60 makes 3000 generations); every
stage that walks it must use an explicit stack. These tests run with the recursion limit at 200, so any
recursion over the chain (or a nested tuple compared, hashed or printed) fails here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from exec_builder import ExecBuilder
from test_checks import check

import grader.grading as grading
from grader.checks.base import RunEvidence
from grader.checks.processes import MAX_DRAWN, MAX_DRAWN_DEPTH
from grader.report.html import render_html
from grader.result import Result
from grader.spec.schema import TestSpec

DEPTH = 5000


def deep_chain(depth: int = DEPTH) -> RunEvidence:
    """Each process forks one child, waits for it, and exits: `depth` processes in one line of descent."""
    b = ExecBuilder()
    pids = [b.execution.root]
    for _ in range(depth - 1):
        pids.append(b.fork(pids[-1]))
    for pid in reversed(pids):
        b.exit(pid)
    return b.evidence()


@pytest.fixture
def shallow_stack() -> Iterator[None]:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_a_5000_deep_chain_is_compared_and_drawn_without_recursion(shallow_stack: None) -> None:
    evidence = deep_chain()
    assert check("process.tree", chain=DEPTH).evaluate(evidence).passed
    outcome = check("process.tree", chain=3).evaluate(evidence)
    assert not outcome.passed
    shape = {"children": [{"children": []}, {"children": []}]}
    assert not check("process.tree", shape=shape).evaluate(evidence).passed
    observed = outcome.observed.splitlines()
    # the drawing is bounded: MAX_DRAWN_DEPTH generations, then the rest counted on one line
    assert len(observed) == MAX_DRAWN_DEPTH + 1 <= MAX_DRAWN + 1
    assert observed[0] == "pid 100 (python3)"
    assert observed[-1].strip() == f"... {DEPTH - MAX_DRAWN_DEPTH} more process(es) below, " \
                                   f"{MAX_DRAWN_DEPTH} generations drawn"
    assert outcome.expected == "process\n  process\n    process"
    assert sum(len(line) for line in observed) < 10_000


def test_a_wide_tree_is_drawn_with_its_rest_counted() -> None:
    b = ExecBuilder()
    for _ in range(500):
        b.exit(b.fork(100))
    b.exit(100)
    outcome = check("process.tree", chain=2).evaluate(b.evidence())
    lines = outcome.observed.splitlines()
    assert len(lines) == MAX_DRAWN + 1 and lines[-1] == f"... {501 - MAX_DRAWN} more process(es) not drawn"


def test_shapes_compare_children_in_any_order() -> None:
    b = ExecBuilder()
    a = b.fork(100)
    b.fork(100)
    b.fork(a)
    evidence = b.evidence()
    leaf: dict[str, Any] = {"children": []}
    assert check("process.tree", shape={"children": [leaf, {"children": [leaf]}]}).evaluate(evidence).passed
    assert check("process.tree", shape={"children": [{"children": [leaf]}, leaf]}).evaluate(evidence).passed
    assert not check("process.tree", shape={"children": [leaf, leaf, leaf]}).evaluate(evidence).passed


def test_a_5000_deep_chain_is_graded_serialised_and_rendered_without_recursion(
        shallow_stack: None, monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = deep_chain()
    monkeypatch.setattr(grading, "read_run", lambda record: evidence)
    test = TestSpec.model_validate({
        "name": "a chain of three", "points": 1,
        "checks": [{"kind": "process.tree", "chain": 3}, {"kind": "process.count", "equals": 3},
                   {"kind": "process.reaped", "of": "all"}, {"kind": "process.no_orphans"}],
    })
    graded = grading.grade_runs(test, [evidence.record])
    assert graded.status == "failed"
    result = Result(assignment_id="deep", assignment_title="deep", submission="s", score=0.0, max_score=1.0,
                    tests=[graded])
    text = json.dumps(result.to_json())
    assert Result.from_json(json.loads(text)).tests[0].status == "failed"
    for lang in ("en", "ko"):
        page = render_html(result, lang=lang, audience="staff")
        assert "RecursionError" not in page
