"""process.zombie, process.no_zombies (max), process.reap_order, process.blocked_in and thread.joined,
each passing and failing on runs recorded in the real sandbox (tests/data/runs/lifecycle, record.py there),
with the sentence the student reads in English and Korean.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_checks import check
from test_checks_vacuous import evidence_of

from grader.checks.base import CheckOutcome, RunEvidence
from grader.checks.messages import render
from grader.errors import SpecError
from grader.grading import read_run
from grader.sandbox.records import RunRecord
from grader.spec import parse_assignment
from grader.trace.ends import thread_end
from grader.trace.endstate import join_waits

RUNS = Path(__file__).resolve().parents[1] / "data" / "runs" / "lifecycle"


def run(name: str) -> RunEvidence:
    """A run recorded in the real sandbox (tests/data/runs/lifecycle/NAME.json)."""
    fields = {f.name for f in dataclasses.fields(RunRecord)}
    data = json.loads((RUNS / f"{name}.json").read_text(encoding="utf-8"))
    return read_run(RunRecord.from_json({k: v for k, v in data.items() if k in fields}))


def judge(name: str, kind: str, **params: Any) -> CheckOutcome:
    return check(kind, **params).evaluate(run(name))


def korean(o: CheckOutcome) -> str:
    assert o.template is not None
    text = render(o.template, o.params, "ko")
    assert re.search("[\uac00-\ud7a3]", text), text
    assert sorted(re.findall(r"\d+(?:\.\d+)?", text)) == sorted(re.findall(r"\d+(?:\.\d+)?", o.message)), \
        (o.message, text)
    return text


# ----------------------------------------------------------------------------- zombie vs orphan


def test_a_double_fork_daemon_has_an_orphan_and_no_zombie() -> None:
    # double_fork.py: the middle child ends at once and is reaped; the daemon (its child) ends 0.3 s later
    zombies = judge("double_fork_py", "process.no_zombies")
    assert zombies.passed and zombies.message == "no process was left a zombie"
    orphans = judge("double_fork_py", "process.no_orphans")
    assert not orphans.passed
    assert orphans.message == "pid 22 outlived its parent pid 21 and was adopted by pid 1"
    assert judge("double_fork_py", "process.reaped", of="children").passed


def test_no_zombies_with_max_counts_a_late_reap() -> None:
    # zombie_held.py: the child ends at once, the parent waits for it 0.4 s later
    assert judge("zombie_held_py", "process.no_zombies").passed
    assert judge("zombie_held_py", "process.no_zombies", max="500ms").passed
    late = judge("zombie_held_py", "process.no_zombies", max="200ms")
    assert not late.passed
    assert late.message == ("pid 22 was a zombie for 0.4 s before its parent pid 21 waited for it, "
                            "longer than 0.2 s")
    assert korean(late) == ("PID 22는 부모 프로세스 PID 21가 wait으로 회수하기 전까지 0.4초 동안 좀비였습니다: "
                            "0.2초보다 깁니다")
    assert any("a zombie for 0.398 s until its parent's wait" in line for e in late.evidence for line in e.lines)


def test_a_child_never_reaped_is_still_a_zombie_whatever_max_says() -> None:
    outcome = check("process.no_zombies", max="5s").evaluate(evidence_of("zombie_left"))
    assert not outcome.passed
    assert outcome.message == "pid 17 was a zombie for 0.31 s: it ended and its parent pid 16 did not wait for it"


def test_an_orphan_a_subreaper_reaps_was_its_zombie_until_then() -> None:
    # subreaper.py: the root is a child subreaper; the orphaned grandchild ends after 0.1 s, the root reaps
    # it 0.4 s later. Before: "adopted by pid 1", and no zombie time at all.
    ev = run("subreaper_py")
    grandchild = ev.execution.tasks[22]
    assert grandchild.orphan and grandchild.reparented_to == 20 and grandchild.reaped_by == 20
    assert grandchild.zombie_seconds == pytest.approx(0.399, abs=0.002) and not grandchild.zombie
    assert check("process.no_zombies").evaluate(ev).passed
    late = check("process.no_zombies", max="200ms").evaluate(ev)
    assert late.message == ("pid 22 was a zombie for 0.4 s before its parent pid 20 waited for it, "
                            "longer than 0.2 s")
    assert check("process.no_orphans").evaluate(ev).message == (
        "pid 22 outlived its parent pid 21 and was adopted by pid 20")


def test_process_zombie_passes_on_a_child_held_for_its_time() -> None:
    outcome = judge("zombie_held_py", "process.zombie", role="child[0]", min="300ms")
    assert outcome.passed
    assert outcome.message == ("pid 22 was a zombie for 0.398 s, from its exit until its parent pid 21 waited "
                               "for it: at least 0.3 s, as expected")
    assert korean(outcome) == ("PID 22는 종료한 뒤 부모 프로세스 PID 21가 wait으로 회수할 때까지 0.398초 동안 "
                               "좀비였습니다: 기대한 대로 최소 0.3초입니다")


def test_process_zombie_fails_on_a_child_reaped_at_once() -> None:
    outcome = judge("reaped_at_once_py", "process.zombie", role="child[0]", min="300ms")
    assert not outcome.passed
    assert outcome.message == ("pid 20 was a zombie for less than a millisecond, from its exit until its parent "
                               "pid 19 waited for it; it must stay one for at least 0.3 s")
    korean(outcome)


def test_process_zombie_max_and_a_zombie_until_the_parent_ended() -> None:
    long = judge("zombie_held_py", "process.zombie", min="100ms", max="200ms")
    assert not long.passed
    assert long.message == ("pid 22 was a zombie for 0.398 s, from its exit until its parent pid 21 waited for "
                            "it; it must stay one for between 0.1 and 0.2 s")
    korean(long)
    never_reaped = check("process.zombie", min="300ms").evaluate(evidence_of("zombie_left"))
    assert never_reaped.passed
    assert never_reaped.message == ("pid 17 was a zombie for 0.311 s, from its exit until its parent pid 16 "
                                    "ended: at least 0.3 s, as expected")


def test_an_orphan_was_never_a_zombie() -> None:
    outcome = judge("double_fork_py", "process.zombie", role="descendants", min="100ms")
    assert not outcome.passed
    # the middle child first (reaped at once), then the daemon: an orphan
    assert outcome.message.endswith("it must stay one for at least 0.1 s (and 1 more)")
    orphan = check("process.zombie", min="100ms").evaluate(evidence_of("orphan_sleeper"))
    assert orphan.message == ("pid 16 was never a zombie: its parent pid 15 ended first, so it was an orphan, "
                              "adopted by pid 1; it must stay one for at least 0.1 s")
    assert korean(orphan) == ("PID 16는 한 번도 좀비가 되지 않았습니다: 부모 프로세스 PID 15가 먼저 끝나서 PID 1에게 "
                              "입양된 고아 프로세스였습니다; 최소 0.1초 동안 좀비로 남아 있어야 합니다")


def test_tasks_the_grader_stopped_were_never_zombies() -> None:
    outcome = judge("pipe_block_py", "process.zombie", min="100ms")
    assert outcome.message == ("pid 21 was never a zombie: the grader stopped it at the time limit; it must stay "
                               "one for at least 0.1 s")
    korean(outcome)


# ----------------------------------------------------------------------------- reap order


def test_reap_order_reverse_passes_and_creation_fails() -> None:
    # reap_reverse.py: three children end at once; the parent waits for them newest first
    ok = judge("reap_reverse_py", "process.reap_order", order="reverse")
    assert ok.passed
    assert ok.message == ("pid 20 reaped pids 23, 22, 21 in the expected order (the reverse of the order they "
                          "were created in)")
    korean(ok)
    bad = judge("reap_reverse_py", "process.reap_order", order="creation")
    assert not bad.passed
    assert bad.message == ("pid 20 reaped pid 23 before pid 21: it reaped pids 23, 22, 21, the expected order "
                           "(the order they were created in) is pids 21, 22, 23")
    assert korean(bad) == ("PID 20가 PID 21보다 PID 23를 먼저 회수했습니다: 회수한 순서는 PID 23, 22, 21이고, "
                           "기대한 순서(만들어진 순서)는 PID 21, 22, 23입니다")
    assert bad.evidence[0].lines[0].startswith("pid 21 (child[0], child of pid 20): ended at ")


def test_reap_order_by_roles() -> None:
    assert judge("reap_reverse_py", "process.reap_order", order=["child[2]", "child[0]"]).passed
    bad = judge("reap_reverse_py", "process.reap_order", order=["child[0]", "child[1]"])
    assert bad.message == ("pid 20 reaped pid 22 before pid 21: it reaped pids 22, 21, the expected order "
                           "(child[0], child[1]) is pids 21, 22")
    missing = judge("reap_reverse_py", "process.reap_order", order=["child[0]", "child[5]"])
    assert not missing.passed and missing.message.startswith("there was no process in role child[5] to check")


def test_reap_order_needs_two_children_and_every_one_reaped() -> None:
    few = judge("reaped_at_once_py", "process.reap_order", order="creation")
    assert not few.passed and few.applicable
    assert few.message == ("there was no order to check: root had at most 1 child process(es) to reap, and an "
                           "order needs two")
    korean(few)
    na = judge("reaped_at_once_py", "process.reap_order", order="creation", if_none="not_applicable")
    assert not na.applicable
    unreaped = judge("double_fork_py", "process.reap_order", role="children", order="creation")
    assert unreaped.template is not None and unreaped.template.startswith("reap_order.few")


# ----------------------------------------------------------------------------- thread.joined


@pytest.mark.parametrize("name", ["threads_joined_c", "threads_joined_py"])
def test_joined_threads_ended_on_their_own(name: str) -> None:
    outcome = judge(name, "thread.joined")
    assert outcome.passed, outcome.message
    assert re.fullmatch(r"all 2 thread\(s\) of pid \d+ ended on their own before their process ended",
                        outcome.message)
    korean(outcome)
    assert all("ended itself (exit call)" in line for line in outcome.evidence[0].lines)


@pytest.mark.parametrize(("name", "pid", "tid"), [("threads_not_joined_c", 38, 39), ("threads_daemon_py", 20, 21)])
def test_threads_ended_by_exit_group_were_not_joined(name: str, pid: int, tid: int) -> None:
    outcome = judge(name, "thread.joined")
    assert not outcome.passed
    assert outcome.message == (f"thread {tid} of pid {pid} was still running when the main thread called exit_group "
                               "(returned from main, called exit, or the program ended), which ended every "
                               "thread: join it first (and 1 more)")
    assert korean(outcome).startswith("메인 스레드가 exit_group을 호출했을 때")
    ev = run(name)
    assert thread_end(ev.execution, ev.execution.tasks[tid]) == ("exit_group", pid)


def test_a_thread_the_grader_stopped_never_ended_on_its_own() -> None:
    outcome = judge("join_forever_c", "thread.joined")     # main in pthread_join, the thread in pause()
    assert outcome.message == "thread 39 of pid 38 never ended on its own: the grader stopped it at the time limit"
    korean(outcome)


def test_a_program_without_threads_has_nothing_to_join() -> None:
    outcome = judge("double_fork_py", "thread.joined")
    assert not outcome.passed
    assert outcome.message == "there were no threads to check: the program started none besides its main thread"


def test_a_pthread_join_that_waited_is_named_where_futex_was_traced() -> None:
    # join_waits.c recorded with futex traced (record.py --trace-futex): main waits in
    # futex(<thread 39's tid word>, FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, 39, ...) until the thread exits
    ev = run("join_waits_futex_c")
    assert join_waits(ev.execution, ev.record) == {39: [38]}
    outcome = check("thread.joined").evaluate(ev)
    assert outcome.passed
    assert outcome.evidence[0].lines == [
        "thread 39 of pid 38: ended itself (exit call) at 0.207 s, waited for by thread 38 (futex on its id word: "
        "pthread_join)"]
    plain = run("threads_joined_c")
    assert join_waits(plain.execution, plain.record) == {}     # the grader's own tracing has no futex


# ----------------------------------------------------------------------------- process.blocked_in


def test_blocked_in_read_on_a_pipe_whose_write_end_the_parent_holds() -> None:
    # pipe_block.py: the child reads a pipe whose write end the parent keeps; the parent waits for the child
    ok = judge("pipe_block_py", "process.blocked_in", role="child[0]", call="read", on="pipe", other_end="root")
    assert ok.passed
    assert re.fullmatch(r"when the run hit its time limit, pid 21 \(child\[0\]\) was blocked in read on "
                        r"pipe:\[\d+\], whose other end pid 20 held open, as expected", ok.message)
    korean(ok)
    assert ok.evidence[0].items and "whose write end is still open in" in ok.evidence[0].lines[0]
    wrong = judge("pipe_block_py", "process.blocked_in", role="child[0]", call="read", other_end="children")
    assert not wrong.passed and wrong.applicable
    assert wrong.message.endswith("whose other end pid 20 held open, not on children (pid 21) as expected")
    korean(wrong)


def test_blocked_in_wait_names_the_child_waited_for() -> None:
    ok = judge("pipe_block_py", "process.blocked_in", call="wait", other_end="child[0]")
    assert ok.message == ("when the run hit its time limit, pid 20 (root) was blocked in wait4, waiting for pid "
                          "21, as expected")
    elsewhere = judge("pipe_block_py", "process.blocked_in", call="read")
    assert not elsewhere.passed
    assert elsewhere.message == ("expected pid 20 (root) to be blocked in read when the run hit its time limit; it "
                                 "was in wait4")
    assert korean(elsewhere) == ("실행이 시간 제한에 걸렸을 때 PID 20(root)가 read에서 막혀 있어야 합니다; 실제로는 "
                                 "wait4 안에 있었습니다")


def test_blocked_in_futex_for_a_deadlock_and_what_the_trace_cannot_tell() -> None:
    # deadlock.py: two threads take two locks in opposite orders; main waits in Thread.join
    ok = judge("deadlock_py", "process.blocked_in", role="threads", call="futex")
    assert ok.passed
    assert ok.message == ("when the run hit its time limit, thread 21 of pid 20 (threads) was blocked in futex, as "
                          "expected (and 1 more)")
    korean(ok)
    # CPython's Thread.join waits on a lock, not on the thread's id word: not known to be a join
    join = judge("deadlock_py", "process.blocked_in", call="join")
    assert not join.passed
    assert join.message == ("expected pid 20 (root) to be blocked in pthread_join (futex) when the run hit its "
                            "time limit; it was in futex")
    unknown = judge("deadlock_py", "process.blocked_in", call="futex", other_end="threads")
    assert not unknown.applicable
    assert unknown.message == ("when the run hit its time limit, pid 20 (root) was blocked in futex, but the trace "
                               "does not show what was on the other side, so whether it waited on threads cannot "
                               "be checked")
    korean(unknown)


def test_blocked_in_join_in_c_names_the_thread() -> None:
    ok = judge("join_forever_c", "process.blocked_in", call="join", other_end="threads")
    assert ok.message == ("when the run hit its time limit, pid 38 (root) was blocked in futex, waiting for thread "
                          "39, as expected")
    assert korean(ok) == ("실행이 시간 제한에 걸렸을 때 PID 38(root)는 기대한 대로 futex에서 막혀 있었습니다 "
                          "(기다린 스레드: 39)")
    assert judge("join_forever_c", "process.blocked_in", role="threads", call="signal").passed


def test_blocked_in_fails_when_the_program_did_not_hang() -> None:
    outcome = judge("threads_joined_c", "process.blocked_in", call="read")
    assert not outcome.passed
    assert re.fullmatch(r"expected root to be blocked in read when the run hit its time limit, but the program "
                        r"ended on its own after \d+\.\d+ s", outcome.message)
    korean(outcome)


# ----------------------------------------------------------------------------- the assignment file


def _load(check_yaml: str) -> None:
    parse_assignment("id: a\ntitle: t\nlanguage: python\nfiles: [a.py]\nrun: [python3, a.py]\n"
                     f"tests:\n  - name: x\n    checks:\n      - {check_yaml}\n", source="a.yaml")


@pytest.mark.parametrize(("text", "words"), [
    ("process.zombie: {role: root, min: 300ms}", "only a child process can be a zombie"),
    ("process.zombie: {role: 'child[0]'}", "min"),
    ("process.zombie: {min: 300ms, max: 100ms}", "max (100) is shorter than min (300)"),
    ("process.reap_order: {order: sideways}", "order"),
    ("process.reap_order: {order: ['child[0]']}", "at least two different child roles"),
    ("process.reap_order: {order: ['child[0]', root]}", "expected child roles such as child[0], got 'root'"),
    ("process.reap_order: {role: children, order: ['child[0]', 'child[1]']}", "leave role as root"),
    ("process.blocked_in: {call: mutex}", "call"),
    ("process.blocked_in: {call: read, on: disk}", "on"),
    ("thread.joined: {role: everyone}", "role"),
])
def test_bad_parameters_are_refused_at_load_with_the_line(text: str, words: str) -> None:
    with pytest.raises(SpecError) as caught:
        _load(text)
    assert any(p.startswith("a.yaml:9:") and words in p for p in caught.value.problems), caught.value.problems


def test_shorthands() -> None:
    _load("process.reap_order: reverse")
    _load("process.blocked_in: futex")
    _load("thread.joined: {}")


def test_a_join_on_a_thread_whose_clone_strace_split_is_still_a_join() -> None:
    # join_second.c: main joins the second thread first; strace printed that thread's clone as
    # `clone(... <unfinished ...>` then `<... clone resumed>, parent_tid=[..], tls=.., child_tidptr=0x..) = ..`.
    # Before, the id word was read from whole clone lines only, and this join was "a lock or condition variable".
    ev = run("join_second_split_c")
    second = max(t.tid for t in ev.execution.threads())
    assert "<... clone resumed>" in ev.record.trace
    assert ev.execution.tasks[second].clear_tid_word is not None
    ok = check("process.blocked_in", call="join", other_end="threads").evaluate(ev)
    assert ok.passed, ok.message
    assert ok.message.endswith(f"waiting for thread {second}, as expected")


def test_the_evidence_labels_are_ones_the_korean_page_translates() -> None:
    from grader.report.html import _label

    outcomes = [
        judge("zombie_held_py", "process.zombie", role="child[0]", min="300ms"),
        judge("zombie_held_py", "process.no_zombies", max="200ms"),
        judge("reap_reverse_py", "process.reap_order", order="creation"),
        judge("threads_daemon_py", "thread.joined"),
        judge("pipe_block_py", "process.blocked_in", call="wait"),
    ]
    for o in outcomes:
        for e in o.evidence:
            assert re.search("[\uac00-\ud7a3]", _label(e.label, "ko")), e.label


def test_a_thread_that_calls_exit_group_ends_the_others() -> None:
    # exit_in_thread.py: a worker calls os._exit(3) while the other thread sleeps and main waits in join
    outcome = judge("exit_in_thread_py", "thread.joined")
    assert not outcome.passed
    assert outcome.message == ("thread 20 of pid 19 was still running when thread 21 called exit_group, which "
                               "ended every thread of the process")
    korean(outcome)
    assert outcome.evidence[0].lines[1] == "thread 21 of pid 19: ended itself (exit_group call) at 0.155 s"
