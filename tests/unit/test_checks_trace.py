"""Process, thread, lifecycle, IPC and resource checks: each kind passes and fails on hand-built runs."""

from __future__ import annotations

from typing import Any

import pytest
from exec_builder import ExecBuilder
from test_checks import check

from grader.checks.base import RunEvidence
from grader.sandbox.records import Limits
from grader.trace.model import Execution


def fan(n: int = 2, *, wait: bool = True, concurrent: bool = True) -> RunEvidence:
    """root forks n children that each exit 0; waited for unless told otherwise."""
    b = ExecBuilder()
    kids = []
    for _ in range(n):
        kids.append(b.fork(100))
        if not concurrent:
            b.exit(kids[-1], reaped=wait)
    if concurrent:
        for k in kids:
            b.exit(k, reaped=wait)
    b.exit(100)
    return b.evidence()


def chain(n: int) -> RunEvidence:
    """n processes, each the child of the previous one."""
    b = ExecBuilder()
    pids = [100]
    for _ in range(n - 1):
        pids.append(b.fork(pids[-1]))
    for pid in reversed(pids):
        b.exit(pid)
    return b.evidence()


def with_helper() -> RunEvidence:
    """Two children plus multiprocessing's resource tracker."""
    b = ExecBuilder()
    b.fork(100)
    b.fork(100)
    tracker = b.fork(100)
    b.exec(tracker, "/usr/bin/python3", ["python3", "-c", "from multiprocessing.resource_tracker import main;main(3)"])
    b.execution.tasks[tracker].runtime_helper = True
    b.execution.tasks[tracker].helper_reason = "multiprocessing's resource tracker"
    return b.evidence()


def workers(n: int, *, processes: bool = False) -> RunEvidence:
    b = ExecBuilder()
    for i in range(n):
        who = b.fork(100) if processes else b.thread(100)
        b.say(who, f"worker {i}")
    b.exit(100)
    return b.evidence()


def crash(signal: str | None) -> RunEvidence:
    b = ExecBuilder()
    c1, c2 = b.fork(100), b.fork(100)
    if signal:
        b.kill(c1, signal)
    else:
        b.exit(c1)
    b.exit(c2, 3)
    b.exit(100)
    return b.evidence()


def piped(*, flow: bool = True, left: bool = False, helper: bool = False) -> RunEvidence:
    b = ExecBuilder()
    c = b.fork(100)
    b.ipc("pipe", "pipe:[77]", [100, c], runtime_helper=helper)
    b.ipc("posix_shm", "/dev/shm/x", [100, c], left_behind=left, name="/x")
    if flow:
        b.flow("pipe", "pipe:[77]", c, 100, b"result 42")
    b.exit(c)
    b.exit(100)
    return b.evidence()


def orphaned() -> RunEvidence:
    b = ExecBuilder()
    c = b.fork(100)
    b.exit(100)
    b.orphan(c)
    b.exit(c, reaped=False)
    b.execution.tasks[c].zombie = False
    b.execution.tasks[c].reaped_by = 1
    return b.evidence()


def exec_ls(program: str) -> RunEvidence:
    b = ExecBuilder()
    c = b.fork(100)
    b.exec(c, program)
    b.exit(c)
    b.exit(100)
    return b.evidence()


CASES: list[tuple[str, dict[str, Any], Any, Any]] = [
    ("process.count", {"equals": 3}, fan, lambda: fan(3)),
    ("process.count", {"equals": 3}, with_helper, lambda: fan(1)),
    ("process.children", {"min": 2}, fan, lambda: chain(3)),
    ("process.tree", {"shape": {"children": [{"children": []}, {"children": []}]}}, fan, lambda: chain(3)),
    ("process.tree", {"chain": 3}, lambda: chain(3), fan),
    ("process.siblings", {"min": 2}, fan, lambda: chain(3)),
    ("process.exec", {"program": "ls"}, lambda: exec_ls("/bin/ls"), lambda: exec_ls("/bin/cat")),
    ("thread.count", {"equals": 3}, lambda: workers(3), lambda: workers(3, processes=True)),
    ("thread.same_process", {"min": 2}, lambda: workers(2), lambda: workers(2, processes=True)),
    ("thread.work", {"pattern": "^worker", "by": "threads"}, lambda: workers(3), lambda: workers(3, processes=True)),
    ("thread.work", {"pattern": "^worker", "by": "processes"}, lambda: workers(3, processes=True), lambda: workers(3)),
    ("process.reaped", {"of": "all"}, fan, lambda: fan(wait=False)),
    ("process.reaped", {"of": "children"}, fan, orphaned),
    ("process.no_zombies", {}, fan, lambda: fan(wait=False)),
    ("process.no_orphans", {}, fan, orphaned),
    ("process.exit_code", {"role": "root", "equals": 0}, fan, lambda: _root_exits(1)),
    ("process.exit_code", {"role": "child[1]", "equals": 3}, lambda: crash(None), fan),
    ("process.killed", {"signal": "segv"}, lambda: crash("SIGSEGV"), lambda: crash(None)),
    ("process.concurrent", {"min": 2}, fan, lambda: fan(concurrent=False)),
    ("ipc.used", {"mechanism": "pipe"}, piped, lambda: piped(helper=True)),
    ("ipc.flow", {"from": "children", "to": "root", "mechanism": "pipe"}, piped, lambda: piped(flow=False)),
    ("ipc.cleanup", {}, piped, lambda: piped(left=True)),
    ("resource.time", {}, fan, lambda: _flagged(timed_out=True)),
    ("resource.time", {"max": "1s"}, fan, lambda: _flagged(wall_ms=1500)),
    ("resource.memory", {}, fan, lambda: _flagged(oom_killed=True)),
    ("resource.pids", {}, fan, lambda: _flagged(pids_limit_hit=True)),
    ("resource.pids", {"max": 2}, lambda: fan(1), lambda: fan(3)),
]


def _root_exits(code: int) -> RunEvidence:
    b = ExecBuilder()
    b.exit(100, code)
    return b.evidence()


def _flagged(**flags: Any) -> RunEvidence:
    b = ExecBuilder()
    b.exit(100)
    return b.evidence(**flags)


@pytest.mark.parametrize(("kind", "params", "good", "bad"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_check_passes_on_good_run_and_fails_on_bad(kind: str, params: dict[str, Any], good: Any, bad: Any) -> None:
    subject = check(kind, **params)
    ok = subject.evaluate(good())
    assert ok.passed, ok.message
    failed = subject.evaluate(bad())
    assert not failed.passed
    assert failed.message


def test_process_count_names_the_runtime_helpers_it_left_out() -> None:
    outcome = check("process.count", equals=4).evaluate(with_helper())
    assert not outcome.passed
    assert "helpers: pid 103" in outcome.message and "ran 3" in outcome.message
    assert any("resource tracker" in line for e in outcome.evidence for line in e.lines)


def test_zombie_message_names_child_and_parent() -> None:
    outcome = check("process.reaped", of="all").evaluate(fan(1, wait=False))
    assert "pid 101 was never waited for by its parent pid 100" in outcome.message


def test_tree_failure_shows_observed_and_expected_trees() -> None:
    outcome = check("process.tree", chain=3).evaluate(fan())
    assert outcome.expected and outcome.observed and "pid 101" in outcome.observed


def test_trace_checks_fail_plainly_without_a_trace() -> None:
    bare = RunEvidence(Execution(), [], [], ExecBuilder().record())
    outcome = check("process.count", equals=1).evaluate(bare)
    assert not outcome.passed and "no trace" in outcome.message


def test_resource_time_reports_the_limit() -> None:
    b = ExecBuilder()
    outcome = check("resource.time").evaluate(b.evidence(timed_out=True, limits=Limits(timeout_ms=5000)))
    assert "5000 ms" in outcome.message
