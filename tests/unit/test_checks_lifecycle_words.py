"""Zombie, orphan, reaped and 'stopped by the grader' mean one thing each (issues 11.3 and 18.3).

Runs recorded in the real sandbox: tests/data/specs/records (record.py) and tests/data/runs.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from exec_builder import ExecBuilder
from test_checks import check
from test_checks_vacuous import evidence_of

from grader.checks.base import RunEvidence
from grader.grading import read_run
from grader.sandbox.records import RunRecord

RUNS = Path(__file__).resolve().parents[2] / "tests" / "data" / "runs"


def other_record(name: str) -> RunEvidence:
    """A run recorded by the trace stage's tests (tests/data/runs), extra keys dropped."""
    fields = {f.name for f in dataclasses.fields(RunRecord)}
    data = json.loads((RUNS / f"{name}.json").read_text(encoding="utf-8"))
    return read_run(RunRecord.from_json({k: v for k, v in data.items() if k in fields}))


def test_an_orphan_reaped_by_init_is_not_a_zombie() -> None:
    run = evidence_of("orphan_sleeper")         # parent exits at once, child prints 0.3 s later
    assert check("process.no_zombies").evaluate(run).passed
    orphans = check("process.no_orphans").evaluate(run)
    assert not orphans.passed
    assert orphans.message == "pid 16 outlived its parent pid 15 and was adopted by pid 1"
    reaped = check("process.reaped").evaluate(run)
    assert reaped.message == ("pid 16 was never waited for by its parent pid 15: the parent ended first and "
                              "pid 16 was adopted by pid 1")


def test_a_zombie_is_named_with_its_parent_and_how_long() -> None:
    run = evidence_of("zombie_left")            # child ends, parent sleeps 0.3 s and exits without waiting
    outcome = check("process.no_zombies").evaluate(run)
    assert not outcome.passed
    assert outcome.message == "pid 17 was a zombie for 0.31 s: it ended and its parent pid 16 did not wait for it"
    assert outcome.params["seconds"] == 0.31
    assert check("process.no_orphans").evaluate(run).passed


def test_a_child_reaped_late_was_reaped() -> None:
    run = evidence_of("zombie_reaped_late")     # waited for after 0.3 s
    for kind in ("process.reaped", "process.no_zombies", "process.no_orphans"):
        assert check(kind).evaluate(run).passed, kind


def test_tasks_stopped_together_at_the_time_limit_are_neither_zombies_nor_orphans() -> None:
    run = other_record("diag_pipe_relay_hang")  # parent in wait4, child blocked in read: both stopped at 1.5 s
    assert check("process.no_zombies").evaluate(run).passed
    assert check("process.no_orphans").evaluate(run).passed
    reaped = check("process.reaped").evaluate(run)
    assert not reaped.passed
    assert reaped.message == "pid 30 was never reaped by its parent pid 28: the grader stopped it at the time limit"
    assert "zombie" not in reaped.message and "orphan" not in reaped.message


def test_a_stop_reported_by_wuntraced_is_not_reaping() -> None:
    run = other_record("wuntraced_py")          # waitpid(WUNTRACED) returned WIFSTOPPED; nothing was reaped
    reaped = check("process.reaped").evaluate(run)
    assert not reaped.passed
    assert reaped.message.startswith("pid 16 was never reaped by its parent pid 15")


def test_an_orphan_the_grader_stopped_after_its_parent_ended_is_still_an_orphan() -> None:
    outcome = check("process.no_orphans").evaluate(other_record("diag_linger"))
    assert not outcome.passed
    assert outcome.message == ("pid 16 outlived its parent pid 15, and the grader stopped it because it was "
                               "still running after the main process had ended")


def test_a_student_process_dressed_as_a_helper_is_counted() -> None:
    run = other_record("fake_helper_py")        # argv holds 'multiprocessing.forkserver', behaves like the student's
    assert not run.helpers
    assert check("process.count", equals=5).evaluate(run).passed
    assert not check("process.no_orphans").evaluate(run).passed


def test_zombie_flag_without_time_still_names_the_parent() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.exit(c, reaped=False)
    b.exit(100)
    outcome = check("process.no_zombies").evaluate(b.evidence())
    assert outcome.message == f"pid {c} was left a zombie: it ended and its parent pid 100 did not wait for it"


def test_orphans_stopped_with_their_parent_are_said_so() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.kill(100)
    b.kill(c, reaped=False)
    b.orphan(c)
    b.execution.tasks[100].stopped_by = "timeout"
    b.execution.tasks[c].stopped_by = "timeout"
    b.execution.tasks[c].zombie = False
    outcome = check("process.no_orphans").evaluate(b.evidence())
    assert outcome.passed
    assert outcome.message == f"no process outlived its parent on its own: pid {c} were stopped by the grader " \
                              "together with their parent"
