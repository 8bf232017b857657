"""Output, capture and writer checks: each kind passes and fails on hand-built runs."""

from __future__ import annotations

from typing import Any

import pytest
from exec_builder import ExecBuilder
from pydantic import TypeAdapter

from grader.checks import Check, CheckBase
from grader.checks.base import RunEvidence

ADAPTER: TypeAdapter[Any] = TypeAdapter(Check)


def check(kind: str, **params: Any) -> CheckBase:
    """A check as the loader would build it."""
    return ADAPTER.validate_python({"kind": kind, **params})  # type: ignore[no-any-return]


def hello(lines_per_process: int = 1, *, extra_parent: str | None = None) -> RunEvidence:
    """root forks two children; each of the three prints 'hello os'; the parent waits and prints 'done'."""
    b = ExecBuilder()
    c1, c2 = b.fork(100), b.fork(100)
    for pid in (c1, c2, 100):
        for _ in range(lines_per_process):
            b.say(pid, "hello os")
    b.exit(c1)
    b.exit(c2)
    b.say(100, extra_parent or "done")
    b.exit(100)
    return b.evidence()


def pids_run(*, lie: bool = False) -> RunEvidence:
    """Two children print 'child <pid> of <ppid>'; with lie, the second prints made-up numbers."""
    b = ExecBuilder()
    c1, c2 = b.fork(100), b.fork(100)
    b.say(c1, f"child {c1} of 100")
    b.say(c2, "child 4242 of 1" if lie else f"child {c2} of 100")
    b.exit(c1)
    b.exit(c2)
    b.exit(100)
    return b.evidence()


def copies(child_x: int, parent_x: int) -> RunEvidence:
    """A child sets x and prints it; the parent prints its own x afterwards."""
    b = ExecBuilder()
    c = b.fork(100)
    b.say(c, f"child x={child_x}")
    b.exit(c)
    b.say(100, f"parent x={parent_x}")
    b.say(100, "total=4000")
    b.exit(100)
    return b.evidence()


def threads_print(n: int, *, processes: bool = False) -> RunEvidence:
    """n workers (threads of the root, or child processes) each print 'worker i'."""
    b = ExecBuilder()
    for i in range(n):
        who = b.fork(100) if processes else b.thread(100)
        b.say(who, f"worker {i}")
        b.exit(who)
    b.exit(100)
    return b.evidence()


CASES: list[tuple[str, dict[str, Any], Any, Any]] = [
    ("output.exact", {"text": "hello os\nhello os\nhello os\ndone\n"}, hello, lambda: hello(2)),
    ("output.exact", {"text": "x\n", "strict": True}, lambda: _single("x"), lambda: _single("x ")),
    ("output.contains", {"text": "done"}, hello, lambda: hello(extra_parent="bye")),
    ("output.contains", {"text": "error", "absent": True}, hello, lambda: hello(extra_parent="error!")),
    ("output.regex", {"pattern": r"^done$"}, hello, lambda: hello(extra_parent="done!")),
    ("output.count", {"pattern": "^hello os$", "equals": 3}, hello, lambda: hello(2)),
    ("output.count", {"pattern": "^hello os$", "min": 2, "max": 4}, hello, lambda: hello(2)),
    ("output.unordered", {"lines": ["done", "hello os", "hello os", "hello os"]}, hello, lambda: hello(2)),
    ("output.ordered", {"patterns": ["hello", "done"]}, hello, lambda: hello(extra_parent="bye")),
    ("output.process_order", {"patterns": ["^hello", "^done"], "require_all": False}, hello, lambda: _parent_done_first()),
    ("output.happens_before", {"before": {"pattern": ".", "role": "children"},
                               "after": {"pattern": "^done", "role": "root"}}, hello, lambda: _parent_done_first()),
    ("output.ids", {"pattern": "child {pid} of {ppid}", "min": 2}, pids_run, lambda: pids_run(lie=True)),
    ("output.values", {"captures": {"c": {"pattern": "child x={x}", "role": "children"},
                                    "p": {"pattern": "parent x={x}", "role": "root"}},
                       "expect": ["c.x == 1", "p.x == 0"]}, lambda: copies(1, 0), lambda: copies(1, 1)),
    ("output.values", {"captures": {"t": {"pattern": "total={n}"}}, "expect": ["last(t.n) == 4000", "count(t) == 1"]},
     lambda: copies(1, 0), lambda: _single("total=3999")),
    ("output.writers", {"pattern": "^hello os$", "distinct_processes": 3}, hello, lambda: threads_print(3)),
    ("output.writers", {"pattern": "^worker", "distinct_threads": 3}, lambda: threads_print(3), lambda: threads_print(2)),
    ("output.writers", {"pattern": "^done", "written_by": "root"}, hello, lambda: _child_says_done()),
]


def _single(text: str) -> RunEvidence:
    b = ExecBuilder()
    b.say(100, text)
    b.exit(100)
    return b.evidence()


def _parent_done_first() -> RunEvidence:
    b = ExecBuilder()
    c = b.fork(100)
    b.say(100, "hello os")
    b.say(100, "done")
    b.say(c, "hello os")
    b.say(c, "done")
    b.say(c, "hello os")
    b.exit(c)
    b.exit(100)
    return b.evidence()


def _child_says_done() -> RunEvidence:
    b = ExecBuilder()
    c = b.fork(100)
    b.say(c, "done")
    b.exit(c)
    b.exit(100)
    return b.evidence()


@pytest.mark.parametrize(("kind", "params", "good", "bad"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_check_passes_on_good_run_and_fails_on_bad(kind: str, params: dict[str, Any], good: Any, bad: Any) -> None:
    subject = check(kind, **params)
    ok = subject.evaluate(good())
    assert ok.passed, ok.message
    failed = subject.evaluate(bad())
    assert not failed.passed
    assert failed.message


def test_count_message_says_expected_and_observed_with_lines() -> None:
    outcome = check("output.count", pattern="^hello os$", equals=3).evaluate(hello(2))
    assert "exactly 3" in outcome.message and "found 6" in outcome.message
    assert outcome.evidence and "pid 100" in " ".join(outcome.evidence[0].lines)


def test_made_up_pid_fails_with_the_real_values() -> None:
    outcome = check("output.ids", pattern="child {pid} of {ppid}").evaluate(pids_run(lie=True))
    assert "says pid 4242, but it was written by pid 102" in outcome.message


def test_ppid_of_an_orphan_may_be_its_new_parent() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.exit(100)
    b.orphan(c)
    b.say(c, f"child {c} of 1")
    b.exit(c, reaped=False)
    assert check("output.ids", pattern="child {pid} of {ppid}").evaluate(b.evidence()).passed


def test_tid_is_checked_against_the_writing_thread() -> None:
    b = ExecBuilder()
    t = b.thread(100)
    b.say(t, f"thread {t + 5}")
    outcome = check("output.ids", pattern="thread {tid}").evaluate(b.evidence())
    assert not outcome.passed and f"written by thread {t}" in outcome.message


def test_values_failure_names_the_line_and_value() -> None:
    outcome = check(
        "output.values", captures={"p": {"pattern": "parent x={x}"}}, expect=["p.x == 0"]
    ).evaluate(copies(1, 1))
    assert "p.x = 1" in outcome.message and "line 2" in outcome.message


def test_output_checks_fall_back_to_captured_bytes_without_a_trace() -> None:
    evidence = hello()
    bare = RunEvidence(type(evidence.execution)(), [], [], evidence.record)
    assert check("output.count", pattern="^hello os$", equals=3).evaluate(bare).passed
    assert not check("output.writers", pattern="hello", distinct_processes=3).evaluate(bare).passed


def test_flaky_style_interleaving_is_allowed_by_process_order() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.say(c, "start")
    b.say(100, "start")
    b.say(c, "end")
    b.say(100, "end")
    assert check("output.process_order", patterns=["start", "end"]).evaluate(b.evidence()).passed
