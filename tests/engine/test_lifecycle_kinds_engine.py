"""process.zombie, process.no_zombies, process.reap_order, process.blocked_in and thread.joined on the real
engine: the programs of tests/data/runs/lifecycle/programs run in the sandbox now, traced with the grader's
own STRACE_ARGS, and each kind passes on the program that does the thing and fails on the one that does not.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from grader.checks import Check, CheckBase
from grader.checks.base import CheckOutcome, RunEvidence
from grader.checks.messages import render
from grader.grading import read_run
from grader.sandbox.records import Limits, RunRequest

pytestmark = pytest.mark.engine

PROGRAMS = Path(__file__).resolve().parent.parent / "data" / "runs" / "lifecycle" / "programs"
PY = ["zombie_held", "reaped_at_once", "double_fork", "reap_reverse", "threads_joined", "threads_daemon",
      "deadlock", "pipe_block", "subreaper"]
C = ["threads_joined", "threads_not_joined", "join_forever"]
ADAPTER: TypeAdapter[Any] = TypeAdapter(Check)


def judge(ev: RunEvidence, kind: str, **params: Any) -> CheckOutcome:
    subject: CheckBase = ADAPTER.validate_python({"kind": kind, **params})
    outcome = subject.evaluate(ev)
    assert outcome.template is not None
    assert render(outcome.template, outcome.params, "ko") != outcome.message     # a Korean sentence exists
    return outcome


@pytest.fixture(scope="module")
def runs(docker_sandbox, tmp_path_factory) -> dict[str, RunEvidence]:
    py = tmp_path_factory.mktemp("lifecycle_py")
    for name in PY:
        shutil.copy(PROGRAMS / f"{name}.py", py / f"{name}.py")
    # 2 s: the hanging programs (deadlock, pipe_block) must reach the limit; the others end well before
    result = docker_sandbox.run(py, [RunRequest(name=n, command=("/usr/bin/python3", f"{n}.py")) for n in PY],
                                limits=Limits(timeout_ms=2000))
    assert result.internal_error is None, result.internal_error
    out = {f"{n}_py": read_run(result.runs[n][0]) for n in PY}
    c = tmp_path_factory.mktemp("lifecycle_c")
    for name in C:
        shutil.copy(PROGRAMS / f"{name}.c", c / f"{name}.c")
    build = " && ".join(f"gcc -O0 -pthread -o {n} {n}.c" for n in C)
    result = docker_sandbox.run(c, [RunRequest(name=n, command=(f"./{n}",)) for n in C],
                                limits=Limits(timeout_ms=2000), build=["sh", "-c", build])
    assert result.build is not None and result.build.ok, result.build
    out.update({f"{n}_c": read_run(result.runs[n][0]) for n in C})
    return out


def test_a_zombie_held_on_purpose_and_one_reaped_at_once(runs: dict[str, RunEvidence]) -> None:
    held = judge(runs["zombie_held_py"], "process.zombie", role="child[0]", min="300ms")
    assert held.passed, held.message
    assert held.template == "zombie_for.ok_one+until.reaped+span.min"
    assert held.params["seconds"] >= 0.3
    brief = judge(runs["reaped_at_once_py"], "process.zombie", role="child[0]", min="300ms")
    assert not brief.passed and brief.template is not None
    assert brief.template.startswith(("zombie_for.brief+until.reaped", "zombie_for.short+until.reaped"))
    # the late reap is not a zombie left behind, unless the author sets how late is too late
    assert judge(runs["zombie_held_py"], "process.no_zombies").passed
    late = judge(runs["zombie_held_py"], "process.no_zombies", max="200ms")
    assert not late.passed and late.template == "zombie.late+more.none"


def test_a_double_fork_leaves_an_orphan_not_a_zombie(runs: dict[str, RunEvidence]) -> None:
    ev = runs["double_fork_py"]
    assert judge(ev, "process.no_zombies").passed
    orphans = judge(ev, "process.no_orphans")
    assert not orphans.passed and orphans.template == "orphan.adopted+more.none"
    assert orphans.params["adopter"] == 1
    assert judge(ev, "process.reaped", of="children").passed
    never = judge(ev, "process.zombie", role="descendants", min="100ms")
    assert not never.passed


def test_an_orphan_a_subreaper_reaps_is_adopted_by_it(runs: dict[str, RunEvidence]) -> None:
    # the root sets PR_SET_CHILD_SUBREAPER and double-forks; the grandchild is re-parented to the root
    ev = runs["subreaper_py"]
    root = ev.execution.root
    orphans = judge(ev, "process.no_orphans")
    assert not orphans.passed and orphans.params["adopter"] == root
    assert judge(ev, "process.no_zombies").passed                   # the subreaper did reap it
    late = judge(ev, "process.no_zombies", max="200ms")             # but 0.4 s after it ended
    assert not late.passed and late.params["parent"] == root


def test_reap_order_on_the_real_engine(runs: dict[str, RunEvidence]) -> None:
    ev = runs["reap_reverse_py"]
    ok = judge(ev, "process.reap_order", order="reverse")
    assert ok.passed, ok.message
    bad = judge(ev, "process.reap_order", order="creation")
    assert not bad.passed and bad.template == "reap_order.bad+order.creation"
    kids = [t.tid for t in ev.children_of(ev.execution.root or 0)]
    assert bad.params["got_pids"] == kids[::-1]


@pytest.mark.parametrize("name", ["threads_joined_c", "threads_joined_py"])
def test_joined_threads_pass(runs: dict[str, RunEvidence], name: str) -> None:
    outcome = judge(runs[name], "thread.joined")
    assert outcome.passed, outcome.message


@pytest.mark.parametrize("name", ["threads_not_joined_c", "threads_daemon_py"])
def test_threads_ended_by_exit_group_fail(runs: dict[str, RunEvidence], name: str) -> None:
    outcome = judge(runs[name], "thread.joined")
    assert not outcome.passed
    assert outcome.template == "joined.exit_group_main+more.some", outcome.message


def test_blocked_in_names_the_call_and_the_other_end(runs: dict[str, RunEvidence]) -> None:
    pipe = runs["pipe_block_py"]
    assert pipe.record.stopped_for == "timeout"
    read = judge(pipe, "process.blocked_in", role="child[0]", call="read", on="pipe", other_end="root")
    assert read.passed, read.message
    assert judge(pipe, "process.blocked_in", call="wait", other_end="child[0]").passed
    assert not judge(pipe, "process.blocked_in", call="futex").passed
    deadlock = runs["deadlock_py"]
    assert judge(deadlock, "process.blocked_in", role="threads", call="futex").passed
    assert not judge(deadlock, "process.blocked_in", call="join").passed    # CPython's join waits on a lock
    join = runs["join_forever_c"]
    assert judge(join, "process.blocked_in", call="join", other_end="threads").passed
    assert judge(join, "process.blocked_in", role="threads", call="signal").passed
    finished = judge(runs["threads_joined_c"], "process.blocked_in", call="futex")
    assert not finished.passed and finished.template == "blocked.finished+want_on.none"
