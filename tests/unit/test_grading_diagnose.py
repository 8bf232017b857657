"""Diagnoses read from hand-built Executions and run flags, merged over repeats and attached to failed checks."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from exec_builder import ExecBuilder

from grader.diagnose import EXPLAINS, attach, diagnose_build, diagnose_missing_files, diagnose_run, merge_diagnoses
from grader.report.i18n import diagnosis_text, evidence_text
from grader.result import Diagnosis
from grader.sandbox.records import BuildRecord, Limits, RunRecord
from grader.trace.endstate import blocked_at_end, blocked_words
from grader.trace.model import Blocked, Channel, FailedExec, Transfer


def _codes(b: ExecBuilder, **flags: object) -> list[str]:
    evidence = b.evidence(**flags)
    return [d.code for d in diagnose_run(evidence.execution, evidence.record)]


def test_crash_names_signal_and_sender() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.kill(c, "SIGSEGV")
    evidence = b.evidence()
    (crash,) = diagnose_run(evidence.execution, evidence.record)
    assert crash.code == "crash" and f"pid {c} was killed by the signal SIGSEGV" in crash.message


def test_orphan_oom_and_output_limit() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.exit(100)
    b.exit(c, reaped=False)
    b.orphan(c)
    assert _codes(b, oom_killed=True, output_limit_hit=True) == ["oom", "output_limit", "orphan"]


def test_clean_run_has_no_diagnoses() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.say(c, "hi")
    b.exit(c)
    b.exit(100)
    assert _codes(b) == []


def test_merge_counts_runs_and_attach_keeps_only_relevant_kinds() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.exit(c, reaped=False)
    evidence = b.evidence()
    once = diagnose_run(evidence.execution, evidence.record)
    merged = merge_diagnoses([once, [], once])
    assert merged[0].params["runs"] == 2 and "seen in 2 of 3 runs" in merged[0].message
    attached = attach(merged, ["output.count", "process.reaped"])
    assert attached[0].explains == ["process.reaped"]


def test_build_diagnosis_only_when_the_build_failed() -> None:
    assert diagnose_build(BuildRecord(command=["gcc"], exit_code=0, output=b"", wall_ms=1)) is None
    timed = diagnose_build(BuildRecord(command=["gcc", "x.c"], exit_code=None, output=b"", wall_ms=1, timed_out=True))
    assert timed is not None and "timed out" in timed.message


# ----------------------------------------------------------------------------- end state from /proc


def _proc(tid: int, call: str | None, args: list[int] | None = None, fd: dict[str, Any] | None = None,
          tgid: int | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"tid": tid, "tgid": tgid or tid, "state": "S" if call else "R", "comm": "main",
                           "call": call, "args": args or []}
    if fd is not None:
        row["fd"] = fd
    return row


def _words(call: str | None, **extra: Any) -> str:
    b = ExecBuilder()
    c = b.fork(100)
    record = RunRecord(name="t", repeat_index=0, command=["x"], stopped_for="timeout", timed_out=True,
                       final_tasks=[_proc(c, call, extra.pop("args", None), extra.pop("fd", None))],
                       open_ends=extra.pop("open_ends", {}))
    (blocked,) = blocked_at_end(b.execution, record)
    assert blocked.source == "proc"
    return blocked_words(b.execution, blocked).english


@pytest.mark.parametrize(("call", "words"), [
    ("futex", "pid 101 waits on a lock, condition variable or join (futex) that nobody released or signalled"),
    ("clock_nanosleep", "pid 101 was sleeping (clock_nanosleep)"),
    ("nanosleep", "pid 101 was sleeping (nanosleep)"),
    ("epoll_wait", "pid 101 waits in epoll_wait for one of its descriptors to become ready; none did"),
    ("pselect6", "pid 101 waits in pselect6 for one of its descriptors to become ready; none did"),
    ("pause", "pid 101 waits in pause for a signal that never came"),
    ("rt_sigsuspend", "pid 101 waits in rt_sigsuspend for a signal that never came"),
    ("accept4", "pid 101 waits in accept4 for a connection nobody made"),
    ("connect", "pid 101 waits in connect for the other side to accept the connection"),
    ("mq_timedreceive", "pid 101 waits in mq_timedreceive for a message on an empty message queue"),
    ("msgrcv", "pid 101 waits in msgrcv for a message on an empty message queue"),
    ("semop", "pid 101 waits in semop on a System V semaphore that nobody raised"),
    ("flock", "pid 101 waits in flock for a file lock that another process holds"),
    ("io_getevents", "pid 101 was inside the system call io_getevents"),
    (None, "pid 101 was running, not waiting in a system call"),
])
def test_each_blocked_call_in_words(call: str | None, words: str) -> None:
    assert _words(call) == words


def test_a_task_stopped_outside_a_call_is_not_called_running() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    row = {**_proc(c, None), "state": "T", "nr": -1}
    record = RunRecord(name="t", repeat_index=0, command=["x"], stopped_for="timeout", final_tasks=[row])
    (blocked,) = blocked_at_end(b.execution, record)
    assert blocked_words(b.execution, blocked).english == (
        f"pid {c} was not running and not inside a system call (stopped, or being traced)")


def test_a_call_without_a_name_is_never_a_number() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    row = {**_proc(c, None), "state": "S", "nr": 999, "args": [7, 8]}
    record = RunRecord(name="t", repeat_index=0, command=["x"], stopped_for="timeout", final_tasks=[row])
    (blocked,) = blocked_at_end(b.execution, record)
    assert blocked_words(b.execution, blocked).english == f"pid {c} was inside a system call the grader could not name"


def test_a_pipe_read_names_who_holds_the_write_end() -> None:
    ends = {"pipe:[7]": [{"pid": 100, "fd": 4, "mode": "w"}, {"pid": 101, "fd": 3, "mode": "r"},
                         {"pid": 101, "fd": 4, "mode": "w"}]}
    text = _words("read", args=[3, 0, 64], fd={"fd": 3, "target": "pipe:[7]", "mode": "r"}, open_ends=ends)
    assert text.startswith("pid 101 reads a pipe (pipe:[7]) whose write end is still open in pid 101 itself and "
                           "in pid 100: ")
    alone = _words("read", fd={"fd": 3, "target": "pipe:[7]", "mode": "r"},
                   open_ends={"pipe:[7]": [{"pid": 101, "fd": 4, "mode": "w"}]})
    assert "still open in pid 101 itself: " in alone
    other = _words("read", fd={"fd": 3, "target": "pipe:[7]", "mode": "r"},
                   open_ends={"pipe:[7]": [{"pid": 100, "fd": 4, "mode": "w"}]})
    assert "still open in pid 100: " in other
    nobody = _words("read", fd={"fd": 3, "target": "pipe:[7]", "mode": "r"})
    assert nobody == "pid 101 waits in read on a pipe (pipe:[7]) for data that never came"
    full = _words("write", fd={"fd": 4, "target": "pipe:[7]", "mode": "w"},
                  open_ends={"pipe:[7]": [{"pid": 100, "fd": 3, "mode": "r"}]})
    assert full == "pid 101 writes to a full pipe (pipe:[7]): its read end is open in pid 100, but nobody reads it"


def test_wait4_names_the_pid_it_waits_for() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    any_child = (1 << 64) - 1                      # -1 as /proc/TID/syscall shows it
    record = RunRecord(name="t", repeat_index=0, command=["x"], stopped_for="timeout",
                       final_tasks=[_proc(100, "wait4", [any_child, 0, 0, 0]), _proc(c, "pause")])
    waits = blocked_at_end(b.execution, record)
    assert blocked_words(b.execution, waits[0]).english == f"pid 100 waits in wait4 for pid {c}, which had not ended"
    record = replace(record, final_tasks=[_proc(100, "wait4", [c, 0, 0, 0])])
    (named,) = blocked_at_end(b.execution, record)
    assert named.waits_for == [c]


def test_trace_blocked_first_then_proc_one_entry_per_task() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.block(100, "wait4", f"{c}, ")
    record = RunRecord(name="t", repeat_index=0, command=["x"], stopped_for="timeout",
                       final_tasks=[_proc(100, "wait4", [c]), _proc(c, "futex", [1, 0])])
    live = blocked_at_end(b.execution, record)
    assert [(x.tid, x.syscall, x.source) for x in live] == [(100, "wait4", "trace"), (c, "futex", "proc")]
    assert live[0].waits_for == [c]


def test_a_thread_of_a_process_is_named_with_its_process() -> None:
    b = ExecBuilder()
    t = b.thread(100)
    record = RunRecord(name="t", repeat_index=0, command=["x"], stopped_for="timeout",
                       final_tasks=[_proc(t, "futex", [5, 0], tgid=100)])
    (blocked,) = blocked_at_end(b.execution, record)
    assert blocked_words(b.execution, blocked).english.startswith(f"thread {t} of pid 100 waits on a lock")


# ----------------------------------------------------------------------------- competing claims


def _timed_out_family() -> tuple[ExecBuilder, int]:
    b = ExecBuilder()
    c = b.fork(100)
    for tid in (100, c):
        b.kill(tid, reaped=False)
        b.execution.tasks[tid].stopped_by = "timeout"
    b.execution.tasks[c].zombie = True                # what an older model said about it
    b.execution.tasks[c].orphan = True
    b.execution.stopped_for = "timeout"
    return b, c


def test_tasks_the_grader_stopped_are_neither_zombies_nor_orphans_nor_crashes() -> None:
    b, c = _timed_out_family()
    evidence = b.evidence(timed_out=True, stopped_for="timeout",
                          final_tasks=[_proc(100, "wait4", [c]), _proc(c, "pause")])
    diagnoses = diagnose_run(evidence.execution, evidence.record)
    assert [d.code for d in diagnoses] == ["timeout"]
    assert f"the grader stopped pid 100, {c} at the time limit" in diagnoses[0].message
    assert f"pid 100 waits in wait4 for pid {c}, which had not ended; pid {c} waits in pause" in diagnoses[0].message


def test_stopped_without_the_model_saying_so_still_counts_as_stopped() -> None:
    b, _c = _timed_out_family()
    for task in b.execution.tasks.values():
        task.stopped_by = None                         # a model that does not set stopped_by
    evidence = b.evidence(timed_out=True, stopped_for="timeout")
    assert [d.code for d in diagnose_run(evidence.execution, evidence.record)] == ["timeout"]


def test_a_zombie_says_how_long_and_never_none() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.exit(c, reaped=False)
    b.execution.tasks[c].zombie_seconds = 0.4
    b.exit(100)
    evidence = b.evidence()
    (zombie,) = diagnose_run(evidence.execution, evidence.record)
    assert zombie.code == "zombie" and "for up to 0.4 s" in zombie.message
    assert zombie.evidence[0].lines == [f"pid {c} ended at 0.02 s (exit status 0); its parent pid 100 never waited "
                                        "for it: a zombie for 0.4 s"]


def test_an_orphan_is_not_a_zombie() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.exit(100)
    b.exit(c, reaped=False)
    b.orphan(c)
    b.execution.tasks[c].zombie = True                 # an older model flagged both
    evidence = b.evidence()
    assert [d.code for d in diagnose_run(evidence.execution, evidence.record)] == ["orphan"]


def test_the_runtime_helper_reading_its_own_pipe_is_no_pipe_advice() -> None:
    b = ExecBuilder()
    tracker = b.fork(100)
    b.execution.tasks[tracker].runtime_helper = True
    for tid in (100, tracker):
        b.kill(tid, reaped=False)
        b.execution.tasks[tid].stopped_by = "timeout"
    ends = {"pipe:[5]": [{"pid": 100, "fd": 7, "mode": "w"}]}
    evidence = b.evidence(timed_out=True, stopped_for="timeout", open_ends=ends, final_tasks=[
        _proc(100, "pause"), _proc(tracker, "read", [3], {"fd": 3, "target": "pipe:[5]", "mode": "r"})])
    diagnoses = diagnose_run(evidence.execution, evidence.record)
    assert [d.code for d in diagnoses] == ["timeout"]
    assert (f"pid {tracker} (a helper of the language runtime, not the program's own) waits in read on its pipe "
            "(pipe:[5]), as it does until the program ends" in diagnoses[0].message)
    assert "close the write ends" not in diagnoses[0].message


def test_linger_names_the_stopped_tasks_and_the_loss() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.exit(100)
    b.kill(c, reaped=False)
    b.orphan(c)
    b.execution.tasks[c].stopped_by = "linger"
    evidence = b.evidence(stopped_for="linger", final_tasks=[_proc(c, "clock_nanosleep")])
    diagnoses = diagnose_run(evidence.execution, evidence.record)
    assert [d.code for d in diagnoses] == ["linger"]
    assert f"(pid {c}) were still running 0.01 s later" in diagnoses[0].message
    assert "what they had not yet printed was lost" in diagnoses[0].message


# ----------------------------------------------------------------------------- fork buffer


def _two_writes(child_text: bytes, parent_text: bytes, child_exec: bool = False) -> list[str]:
    b = ExecBuilder()
    c = b.fork(100)
    if child_exec:
        b.exec(c, "/bin/echo")
    b.write(c, child_text)
    b.write(100, parent_text)
    b.exit(c)
    b.exit(100)
    evidence = b.evidence()
    return [d.code for d in diagnose_run(evidence.execution, evidence.record)]


@pytest.mark.parametrize(("child", "parent", "fires"), [
    (b"I am child\n", b"I am parent\n", False),          # a common prefix that ends mid-line
    (b"hello os\n", b"hello os\n", False),                # both printed the same line after fork
    (b"before fork\nchild\n", b"before fork\nparent\n", True),
    (b"x", b"xdone\n", True),                             # the child's whole output is the parent's head
    (b"a\nb\n", b"a\nc\n", True),
    (b"\n", b"\nparent\n", False),                       # a bare newline is no evidence
])
def test_fork_buffer_rule(child: bytes, parent: bytes, fires: bool) -> None:
    assert ("fork_buffer_duplicate" in _two_writes(child, parent)) is fires


def test_fork_buffer_not_claimed_after_the_child_execs() -> None:
    assert "fork_buffer_duplicate" not in _two_writes(b"before\nchild\n", b"before\nparent\n", child_exec=True)


# ----------------------------------------------------------------------------- crashes and silent losses


def _stderr(text: str) -> list[Diagnosis]:
    b = ExecBuilder()
    b.write(100, text, stream="stderr")
    b.exit(100, 1)
    evidence = b.evidence(exit_code=1)
    return diagnose_run(evidence.execution, evidence.record)


def test_traceback_is_quoted_escaped_and_first() -> None:
    diagnoses = _stderr('Traceback (most recent call last):\n  File "/work/main.py", line 7, in <module>\n'
                        "    boom()\nValueError: bad \x1b[31mred\n")
    assert diagnoses[0].code == "exception" and "main.py line 7" in diagnoses[0].message
    assert "'ValueError: bad \\x1b[31mred'" in diagnoses[0].message
    assert "exit_status" not in [d.code for d in diagnoses]


def test_an_exception_in_a_thread_ends_only_that_thread() -> None:
    b = ExecBuilder()
    t = b.thread(100)
    b.write(t, "Exception in thread Thread-2 (raises):\nTraceback (most recent call last):\n"
               '  File "/work/iso.py", line 15, in raises\n    1 / 0\nZeroDivisionError: division by zero\n',
            stream="stderr")
    b.exit(t)
    b.exit(100)
    evidence = b.evidence()
    (thrown,) = diagnose_run(evidence.execution, evidence.record)
    assert thrown.message.startswith(f"thread {t} of pid 100 ended with an uncaught exception at iso.py line 15: "
                                     "'ZeroDivisionError: division by zero'. Only that thread ended")
    assert "process" not in thrown.message


def test_abort_is_a_signal_the_process_sent_itself() -> None:
    from grader.trace.model import Signal

    b = ExecBuilder()
    c = b.fork(100)
    b.execution.signals.append(Signal(time=b.tick(), signal="SIGABRT", sender=c, target=c))
    b.kill(c, "SIGABRT")
    b.exit(100)
    evidence = b.evidence()
    (crash,) = diagnose_run(evidence.execution, evidence.record)
    assert crash.message == f"pid {c} was killed by the signal SIGABRT, which it sent itself (abort(), raise() or kill of its own pid)."


def test_nonzero_exit_alone_is_named_only_under_a_failed_check() -> None:
    b = ExecBuilder()
    b.exit(100, 3)
    evidence = b.evidence(exit_code=3)
    (status,) = diagnose_run(evidence.execution, evidence.record)
    assert status.code == "exit_status" and "exit status 3" in status.message
    assert attach([status], []) == [] and attach([status], ["process.count"]) == [status]


def test_failed_exec_only_when_no_later_exec_succeeded() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    ex = b.execution
    ex.failed_execs.append(FailedExec(tid=c, time=b.tick(), path="/usr/bin/ls", argv=["ls"], errno="ENOENT"))
    b.exec(c, "/bin/ls", ["ls"])                    # PATH search: the second entry worked
    d = FailedExec(tid=100, time=b.tick(), path="./run.sh", argv=["./run.sh"], errno="EACCES")
    ex.failed_execs.append(d)
    b.exit(c)
    b.exit(100)
    evidence = b.evidence()
    (failed,) = [x for x in diagnose_run(evidence.execution, evidence.record) if x.code == "failed_exec"]
    assert failed.message.startswith("pid 100 could not run './run.sh': exec failed with EACCES, permission denied")


def test_output_limit_says_the_program_was_stopped() -> None:
    b = ExecBuilder()
    b.kill(100)
    b.execution.tasks[100].stopped_by = "output"
    evidence = b.evidence(output_limit_hit=True, stopped_for="output", stdout_channel="pipe:[3]",
                          final_tasks=[{**_proc(100, "write", [1]), "fd": {"fd": 1, "target": "pipe:[3]", "mode": "w"}}])
    (limit,) = [d for d in diagnose_run(evidence.execution, evidence.record) if d.code == "output_limit"]
    assert "the grader stopped it" in limit.message
    assert limit.evidence[0].lines == ["pid 100 was writing its output (write)",
                                       "pid 100: stopped by the grader at the output limit"]
    korean = diagnosis_text(limit, "ko").text
    assert "중단" in korean and "잘렸" not in korean and "65536" in korean


def test_fork_bomb_states_the_limit_and_the_counts() -> None:
    b = ExecBuilder()
    kids = [b.fork(100) for _ in range(5)]
    b.execution.failed_forks = [(kids[-1], 0.5, "EAGAIN")] * 3
    evidence = b.evidence(pids_limit_hit=True, limits=Limits(pids=6))
    (bomb,) = [d for d in diagnose_run(evidence.execution, evidence.record) if d.code == "fork_bomb"]
    assert "limit of 6 tasks (processes and threads) alive at once, so 3 fork/clone call(s) failed (EAGAIN)" in (
        bomb.message)
    assert "up to 6 of its tasks alive at once and 6 processes and 0 threads in all" in bomb.message
    korean = diagnosis_text(bomb, "ko").text
    assert "6개" in korean and "3번" in korean and "프로세스 6개" in korean


# ----------------------------------------------------------------------------- every code, both languages


def _every_code() -> list[Diagnosis]:
    out: list[Diagnosis] = []
    b, c = _timed_out_family()
    ev = b.evidence(timed_out=True, stopped_for="timeout", final_tasks=[_proc(100, "wait4", [c]), _proc(c, "read",
                    [3], {"fd": 3, "target": "pipe:[9]", "mode": "r"})],
                    open_ends={"pipe:[9]": [{"pid": c, "fd": 4, "mode": "w"}, {"pid": 100, "fd": 4, "mode": "w"}]})
    out += diagnose_run(ev.execution, ev.record)
    z = ExecBuilder()
    k1, k2, k3 = z.fork(100), z.fork(100), z.fork(100)
    z.exit(k1, reaped=False)
    z.exit(k2)
    z.execution.tasks[k2].zombie_seconds = 0.3
    z.write(k3, b"start\nchild\n")
    z.write(100, b"start\nparent\n")
    z.execution.failed_forks = [(100, 0.2, "EAGAIN")]
    z.execution.failed_execs = [FailedExec(tid=k3, time=0.3, path="/bin/wcc", argv=["wcc"], errno="ENOENT")]
    z.write(100, 'Traceback (most recent call last):\n  File "/work/m.py", line 2\nOSError: x\n', "stderr")
    z.exit(100, 1)
    z.exit(k3, reaped=False)
    z.orphan(k3)
    ev = z.evidence(exit_code=1, oom_killed=True, output_limit_hit=True, pids_limit_hit=True)
    out += diagnose_run(ev.execution, ev.record)
    s = ExecBuilder()
    s.write(100, '  File "/work/m.py", line 3\n    x(\n     ^\nSyntaxError: never closed\n', "stderr")
    s.exit(100, 1)
    ev = s.evidence(exit_code=1, stopped_for="trace", start_failed="no such file")
    out += diagnose_run(ev.execution, ev.record)
    k = ExecBuilder()
    c = k.fork(100)
    k.kill(c, "SIGSEGV")
    k.exit(100)
    ev = k.evidence()
    out += diagnose_run(ev.execution, ev.record)
    e = ExecBuilder()
    e.exit(100, 4)
    ev = e.evidence(exit_code=4)
    out += diagnose_run(ev.execution, ev.record)
    g = ExecBuilder()
    c = g.fork(100)
    g.exit(100)
    g.kill(c, reaped=False)
    g.execution.tasks[c].stopped_by = "linger"
    ev = g.evidence(stopped_for="linger")
    out += diagnose_run(ev.execution, ev.record)
    out.append(diagnose_missing_files(["main.py"], ["mian.py"]))
    built = diagnose_build(BuildRecord(command=["gcc", "x.c"], exit_code=1, output=b"x.c:1: error: no", wall_ms=1))
    assert built is not None
    out.append(built)
    merged = merge_diagnoses([out, out[:3]])
    return merged


def test_every_diagnosis_code_is_made() -> None:
    codes = {d.code for d in _every_code()}
    assert codes == set(EXPLAINS), set(EXPLAINS) ^ codes


@pytest.mark.parametrize("diagnosis", _every_code(), ids=lambda d: d.code)
def test_english_and_korean_carry_the_same_numbers(diagnosis: Diagnosis) -> None:
    english, korean = diagnosis_text(diagnosis, "en"), diagnosis_text(diagnosis, "ko")
    assert diagnosis.template and english.text.startswith(diagnosis.message[:20])
    assert korean.translated and re.search("[\uac00-\ud7a3]", korean.text), korean.text
    assert sorted(re.findall(r"\d+", english.text)) == sorted(re.findall(r"\d+", korean.text)), (english, korean)
    for evidence in diagnosis.evidence:
        shown = evidence_text(evidence, "ko")
        assert re.search("[\uac00-\ud7a3]", shown.label), shown.label
        for index, (en_line, ko_line) in enumerate(zip(evidence.lines, shown.lines)):
            if evidence.items and evidence.items[index].template != "{error}":   # a quote has no words of ours
                assert re.search("[\uac00-\ud7a3]", ko_line), ko_line
            assert sorted(re.findall(r"\d+", en_line)) == sorted(re.findall(r"\d+", ko_line))


@pytest.mark.parametrize("diagnosis", _every_code(), ids=lambda d: d.code)
def test_a_row_without_its_template_finds_it_again(diagnosis: Diagnosis) -> None:
    """The class summary keeps code, params and English only: the Korean sentence is the same."""
    import json

    from grader.report.i18n import localize_diagnosis
    from grader.serialize import _plain  # type: ignore[attr-defined]

    params = json.loads(json.dumps(_plain(diagnosis.params)))
    assert localize_diagnosis(diagnosis.code, params, diagnosis.message, "ko") == diagnosis_text(diagnosis, "ko")


def test_a_diagnosis_survives_its_json_form() -> None:
    from grader.result import Result
    from grader.serialize import result_from_json, result_to_json

    result = Result(assignment_id="a", assignment_title="A", submission="s", score=0, max_score=1,
                    diagnoses=_every_code())
    back = result_from_json(result_to_json(result))
    for before, after in zip(result.diagnoses, back.diagnoses):
        assert diagnosis_text(after, "ko") == diagnosis_text(before, "ko")
        assert [evidence_text(e, "ko").lines for e in after.evidence] == [
            evidence_text(e, "ko").lines for e in before.evidence]


def test_blocked_entry_stays_a_model_blocked() -> None:
    blocked = Blocked(tid=1, syscall="read", args="", since=0.0, channel=Channel(kind="pipe", ident="pipe:[1]"))
    assert isinstance(blocked, Blocked) and Transfer is not None


def test_fork_buffer_not_claimed_for_one_byte_writes_merged_by_the_model() -> None:
    """Hostile case 47: three processes write 'hello os\\n' one byte per write() after the fork.

    The model merges each task's consecutive writes; no single call carried a copied buffer,
    so the trace does not show one and the diagnosis must not claim it."""
    from grader.sandbox.records import RunRecord
    from grader.trace import parse_trace

    lines = ["10 1.000000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
             "child_tidptr=0x7f) = 11"]
    t = 1.0
    text = "hello os\n" * 4
    position = {10: 0, 11: 0}
    for tid, run in ((11, 12), (10, 10), (11, 9), (10, 20), (11, 15), (10, 6)):  # uneven runs, as scheduled
        for c in text[position[tid]:position[tid] + run]:
            t += 0.0001
            shown = "\\n" if c == "\n" else c
            lines.append(f'{tid} {t:.6f} write(1<pipe:[77]>, "{shown}", 1) = 1')
        position[tid] += run
    lines += [f"11 {t + 0.01:.6f} +++ exited with 0 +++", f"10 {t + 0.02:.6f} +++ exited with 0 +++"]
    execution = parse_trace("\n".join(lines) + "\n", stdout_channel="pipe:[77]")
    assert any(w.calls > 1 for w in execution.writes)
    record = RunRecord(name="t", repeat_index=0, command=["python3"], stdout_channel="pipe:[77]")
    assert "fork_buffer_duplicate" not in [d.code for d in diagnose_run(execution, record)]


def test_a_task_in_the_snapshot_that_then_exited_on_its_own_was_not_stopped() -> None:
    # CI, hostile 46-deep-chain: /proc named two links of a fork chain at the limit, the kill missed them,
    # and they forked and exited on their own; the page said the grader had stopped them.
    b = ExecBuilder()
    gone, killed = b.fork(100), b.fork(100)
    b.exit(100)
    b.orphan(gone)
    b.orphan(killed)
    b.exit(gone)
    b.kill(killed)
    record = RunRecord(name="t", repeat_index=0, command=["x"], stopped_for="linger",
                       final_tasks=[_proc(gone, "clone"), _proc(killed, "clone")])
    assert [blocked.tid for blocked in blocked_at_end(b.execution, record)] == [killed]
    (linger,) = [d for d in diagnose_run(b.execution, record) if d.code == "linger"]
    assert f"pid {killed})" in linger.message and str(gone) not in linger.message.split("were still")[0]
