"""The process family on the real engine: the programs recorded in tests/data/runs/*.json run in the
sandbox now, traced with the grader's STRACE_ARGS, and give the facts their recordings give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.checks.base import RunEvidence
from grader.grading import read_run
from grader.sandbox.records import Limits, RunRecord, RunRequest
from grader.trace.helpers import runtime_helpers

pytestmark = pytest.mark.engine

RUNS = Path(__file__).resolve().parent.parent / "data" / "runs"
PY = ["wuntraced_py", "failed_execvp_py", "orphan_init_py", "zombie_03_py", "splice_py", "sendfile_py",
      "fragment_py", "mp_tracker_py", "mp_forkserver_py", "fake_helper_py"]
WAIT_SLEEPER = """
import os, time
pid = os.fork()
if pid == 0:
    time.sleep(100)
os.waitpid(-1, 0)
"""


def program(name: str) -> str:
    return str(json.loads((RUNS / f"{name}.json").read_text())["program"])


@pytest.fixture(scope="module")
def runs(docker_sandbox, tmp_path_factory) -> dict[str, RunEvidence]:
    py = tmp_path_factory.mktemp("family_py")
    for name in PY:
        (py / f"{name}.py").write_text(program(name))
    (py / "wait_sleeper.py").write_text(WAIT_SLEEPER)
    names = [*PY, "wait_sleeper"]
    result = docker_sandbox.run(py, [RunRequest(name=n, command=("/usr/bin/python3", f"{n}.py")) for n in names],
                                limits=Limits(timeout_ms=2000))
    assert result.internal_error is None, result.internal_error
    out = {n: read_run(result.runs[n][0]) for n in names}
    c = tmp_path_factory.mktemp("family_c")
    (c / "pause.c").write_text(program("pause_c"))
    result = docker_sandbox.run(c, [RunRequest(name="pause_c", command=("./pause",))],
                                limits=Limits(timeout_ms=1000), build=["gcc", "-O0", "-o", "pause", "pause.c"])
    assert result.build is not None and result.build.ok, result.build
    out["pause_c"] = read_run(result.runs["pause_c"][0])
    return out


def record(ev: RunEvidence) -> RunRecord:
    rec = ev.record
    assert rec is not None
    return rec


def kids(ev: RunEvidence) -> list:  # type: ignore[type-arg]
    ex = ev.execution
    return [t for t in ex.processes() if t.tid != ex.root]


def test_single_task_pause_is_blocked_and_stopped_by_the_grader(runs) -> None:
    ev = runs["pause_c"]
    ex = ev.execution
    assert record(ev).stopped_for == "timeout"
    assert [(b.tid, b.syscall) for b in ex.blocked] == [(ex.root, "pause")]
    assert ex.tasks[ex.root].stopped_by == "timeout"


def test_parent_waiting_for_a_sleeping_child(runs) -> None:
    ex = runs["wait_sleeper"].execution
    [child] = kids(runs["wait_sleeper"])
    got = {b.tid: b for b in ex.blocked}
    assert got[ex.root].syscall == "wait4" and got[ex.root].waits_for == [child.tid]
    assert got[child.tid].syscall == "clock_nanosleep" and got[child.tid].source == "trace"
    for task in (ex.tasks[ex.root], child):
        assert task.stopped_by == "timeout" and not task.orphan and not task.zombie


def test_wuntraced_stop_reaps_nothing(runs) -> None:
    [child] = kids(runs["wuntraced_py"])
    assert child.reaped_by is None and child.orphan and child.stopped_by == "linger"


def test_orphan_is_not_a_zombie_and_a_reaped_zombie_is_timed(runs) -> None:
    [orphan] = kids(runs["orphan_init_py"])
    assert orphan.orphan and not orphan.zombie and orphan.zombie_seconds is None
    [late] = kids(runs["zombie_03_py"])
    assert not late.zombie and late.zombie_seconds is not None and 0.25 < late.zombie_seconds < 0.6


def test_failed_execvp_is_kept(runs) -> None:
    final = [f for f in runs["failed_execvp_py"].execution.failed_execs if not f.superseded]
    assert final and {f.path.rsplit("/", 1)[-1] for f in final} == {"wcc"} and final[0].errno == "ENOENT"


def test_lines_moved_without_a_shown_buffer_are_the_movers(runs) -> None:
    for name in ("splice_py", "sendfile_py"):
        ev = runs[name]
        hello = [x for x in ev.stdout if x.text == b"hello os"]
        assert len(hello) == 3 and {x.owner_process for x in hello} == {ev.execution.root}, name


def test_fragments_from_three_processes_are_mixed(runs) -> None:
    lines = runs["fragment_py"].stdout
    assert [x.text for x in lines] == [b"hello os"] * 3
    assert all(x.mixed and x.owner_process is None for x in lines)


def test_runtime_helpers_are_the_real_ones_only(runs) -> None:
    assert len(runtime_helpers(runs["mp_tracker_py"].execution)) == 1
    assert len(runtime_helpers(runs["mp_forkserver_py"].execution)) == 2
    assert runtime_helpers(runs["fake_helper_py"].execution) == {}
