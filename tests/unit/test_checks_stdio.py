"""A C stdio buffer shared by threads: a {tid} claim or thread.work never fails on a flush artefact (11.7).

Recorded in the real sandbox (tests/data/specs/records): three threads printf a line each on a pipe
without fflush (threads_stdio: the main thread's exit-time flush writes all four lines in one write),
and the same program with fflush after each line under a lock (threads_flushed: one write per thread).
"""

from __future__ import annotations

from exec_builder import ExecBuilder
from test_checks import check
from test_checks_vacuous import evidence_of

from grader.checks.base import RunEvidence
from grader.checks.messages import render
from grader.scoring import aggregate_check, score_checks

FLUSHED_AT_EXIT = ("the threads of pid 28 share one stdio buffer and the main thread flushed every thread's "
                   "output at exit (1 write(s) of several lines each), so the kernel saw one writer")


def test_thread_work_is_not_failed_on_the_exit_flush() -> None:
    work = check("thread.work", pattern="^thread ", min=3)
    outcome = work.evaluate(evidence_of("threads_stdio"))
    assert not outcome.applicable
    assert outcome.message == ("the lines matching /^thread / cannot be attributed to threads: " + FLUSHED_AT_EXIT
                               + "; write each line with its own call (flush after each line) to make it provable")
    result = aggregate_check(work, [(0, outcome)])
    assert result.status == "not_applicable"
    other = aggregate_check(check("thread.count", equals=3), [(0, check("thread.count", equals=3).evaluate(
        evidence_of("threads_stdio")))])
    assert score_checks([result, other], 2.0) == 2.0     # the provable check carries the test


def test_thread_work_passes_where_each_thread_wrote_its_own_line() -> None:
    outcome = check("thread.work", pattern="^thread ", min=3).evaluate(evidence_of("threads_flushed"))
    assert outcome.passed and outcome.message == "the lines matching /^thread / were written by 3 threads of pid 28"


def test_tid_claims_are_not_judged_on_flushed_lines_but_pids_are() -> None:
    buffered = evidence_of("threads_stdio")
    both = check("output.ids", pattern="^thread pid={pid} tid={tid}$", min=3).evaluate(buffered)
    assert both.passed
    assert both.message == ("3 line(s) print ids that match the trace; the thread of 3 line(s) could not be "
                            "checked: " + FLUSHED_AT_EXIT)
    only_tid = check("output.ids", pattern="^thread pid=\\d+ tid={tid}$", min=3).evaluate(buffered)
    assert not only_tid.passed and not only_tid.applicable
    assert "the tid on 3 line(s)" in only_tid.message
    wrong_pid = check("output.ids", pattern="^thread pid={pid} tid=\\d+$").evaluate(_lying_pid(buffered))
    assert not wrong_pid.passed and "says pid 99, but it was written by pid 28" in wrong_pid.message


def test_tid_claims_are_judged_where_each_thread_wrote() -> None:
    flushed = evidence_of("threads_flushed")
    assert check("output.ids", pattern="^thread pid={pid} tid={tid}$", min=3).evaluate(flushed).message == \
        "3 line(s) print ids that match the trace"
    b = ExecBuilder()
    t = b.thread(100)
    b.say(t, f"thread tid={t + 1}")
    b.exit(t)
    b.exit(100)
    outcome = check("output.ids", pattern="tid={tid}").evaluate(b.evidence())
    assert not outcome.passed and outcome.message == f"line 1 'thread tid={t + 1}' says tid {t + 1}, but it was " \
                                                     f"written by thread {t}"


def test_a_sibling_thread_that_flushed_is_named() -> None:
    b = ExecBuilder()
    t1, t2 = b.thread(100), b.thread(100)
    b.write(t2, f"thread {t1}\nthread {t2}\n")
    b.exit(t1)
    b.exit(t2)
    b.exit(100)
    outcome = check("output.writers", pattern="^thread", distinct_threads=2).evaluate(b.evidence())
    assert not outcome.applicable
    assert f"thread {t2} flushed other threads' lines" in outcome.message
    assert f"스레드 {t2}가 다른 스레드의 줄을 flush" in render(outcome.template or "", outcome.params, "ko")


def _lying_pid(run: RunEvidence) -> RunEvidence:
    lines = [type(line)(text=line.text.replace(b"pid=28", b"pid=99"), writers=line.writers,
                        processes=line.processes, time=line.time) for line in run.stdout]
    return RunEvidence(run.execution, lines, run.stderr, run.record)
