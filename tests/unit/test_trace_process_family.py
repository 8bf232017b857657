"""Process family of the trace stage on real sandbox recordings (tests/data/runs/*.json, recorded with
tests/data/runs/record_run.py) and on hand-written strace lines: zombies vs orphans, the grader's stops,
reaping, failed execs, blocked calls, the runtime's helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.grading import read_run
from grader.sandbox.records import RunRecord
from grader.trace import parse_trace
from grader.trace.helpers import runtime_helpers

RUNS = Path(__file__).resolve().parent.parent / "data" / "runs"


def recorded(name: str) -> RunRecord:
    data = json.loads((RUNS / f"{name}.json").read_text())
    data.pop("program", None)
    return RunRecord.from_json(data)


def evidence(name: str):  # type: ignore[no-untyped-def]
    return read_run(recorded(name))


def kids(ex, root: int | None = None):  # type: ignore[no-untyped-def]
    return [t for t in ex.processes() if t.tid != (root if root is not None else ex.root)]


# ------------------------------------------------------------------ zombies, orphans, grader stops


def test_orphan_adopted_by_init_is_not_a_zombie() -> None:
    ex = evidence("orphan_init_py").execution
    [child] = kids(ex)
    assert child.orphan and child.reparented_to == 1
    assert not child.zombie and child.zombie_seconds is None and child.reaped_by is None
    assert child.stopped_by is None and child.exit_code == 0


def test_child_reaped_after_0_3_s_was_a_zombie_for_0_3_s_but_not_left_one() -> None:
    ex = evidence("zombie_03_py").execution
    [child] = kids(ex)
    assert child.reaped_by == ex.root and not child.orphan
    assert not child.zombie, "its parent reaped it while alive"
    assert child.zombie_seconds is not None and 0.25 < child.zombie_seconds < 0.5


def test_never_reaped_while_parent_alive_is_a_zombie_until_the_parent_ends() -> None:
    ex = parse_trace(
        "10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11\n"
        "11 1.1 exit_group(0) = ?\n"
        "11 1.2 +++ exited with 0 +++\n"
        "10 1.7 exit_group(0) = ?\n"
        "10 1.7 +++ exited with 0 +++\n")
    child = ex.tasks[11]
    assert child.zombie and not child.orphan and child.zombie_seconds == pytest.approx(0.5)


def test_tasks_the_grader_stopped_together_are_neither_orphans_nor_zombies() -> None:
    text = ("10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11\n"
            "10 1.1 wait4(11,  <unfinished ...>) = ?\n"
            "11 1.1 read(3<pipe:[5]>,  <unfinished ...>) = ?\n"
            "10 3.0 +++ killed by SIGKILL +++\n"
            "11 3.0 +++ killed by SIGKILL +++\n")
    ex = parse_trace(text, stopped_for="timeout")
    assert ex.stopped_for == "timeout"
    for tid in (10, 11):
        task = ex.tasks[tid]
        assert task.stopped_by == "timeout" and not task.orphan and not task.zombie and task.zombie_seconds is None
    [wait] = [b for b in ex.blocked if b.tid == 10]
    assert wait.syscall == "wait4" and wait.waits_for == [11]
    # without the grader's word, a SIGKILL is just a death by signal
    assert parse_trace(text).tasks[11].stopped_by is None


def test_a_sigkill_the_program_sent_itself_is_not_the_graders() -> None:
    ex = parse_trace(
        "10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11\n"
        "11 1.1 pause( <unfinished ...>\n"
        "10 1.2 kill(11, SIGKILL) = 0\n"
        "11 1.3 +++ killed by SIGKILL +++\n"
        "10 1.4 wait4(11, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, NULL) = 11\n"
        "10 2.0 pause( <unfinished ...>) = ?\n"
        "10 3.0 +++ killed by SIGKILL +++\n", stopped_for="timeout")
    assert ex.tasks[11].stopped_by is None and ex.tasks[11].reaped_by == 10
    assert ex.tasks[10].stopped_by == "timeout"
    assert [(b.tid, b.syscall) for b in ex.blocked] == [(10, "pause")], "the child was killed by its parent"


def test_orphan_left_running_then_stopped_at_linger_is_both() -> None:
    ex = evidence("wuntraced_py").execution
    [child] = kids(ex)
    assert ex.stopped_for == "linger"
    assert child.orphan and child.stopped_by == "linger" and not child.zombie


def test_sigchld_ignored_children_are_reaped_by_the_kernel() -> None:
    ex = parse_trace(
        "10 1.0 rt_sigaction(SIGCHLD, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, "
        "sa_restorer=0x7f}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0\n"
        "10 1.1 clone(child_stack=NULL, flags=SIGCHLD) = 11\n"
        "11 1.2 +++ exited with 0 +++\n"
        "10 1.9 +++ exited with 0 +++\n")
    assert ex.tasks[11].auto_reaped and not ex.tasks[11].zombie and ex.tasks[11].zombie_seconds is None


# ------------------------------------------------------------------ reaping


def test_wuntraced_stop_is_not_a_reap() -> None:
    ex = evidence("wuntraced_py").execution
    [child] = kids(ex)
    assert child.reaped_by is None


@pytest.mark.parametrize(("call", "reaps"), [
    ("wait4(11, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}], WUNTRACED, NULL) = 11", False),
    ("wait4(11, [{WIFCONTINUED(s)}], WCONTINUED, NULL) = 11", False),
    ("wait4(11, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 11", True),
    ("wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, NULL) = 11", True),
    ("wait4(11, NULL, 0, NULL) = 11", True),
    ("wait4(11, NULL, WUNTRACED, NULL) = 11", True),     # no status shown, but the child had ended
    ("wait4(-1, 0x7ffd, WNOHANG, NULL) = 0", False),
    ("waitid(P_PID, 11, {si_signo=SIGCHLD, si_code=CLD_STOPPED, si_pid=11, si_uid=0, si_status=SIGSTOP, "
     "si_utime=0, si_stime=0}, WSTOPPED, NULL) = 0", False),
    ("waitid(P_PID, 11, {si_signo=SIGCHLD, si_code=CLD_CONTINUED, si_pid=11, si_uid=0, si_status=SIGCONT, "
     "si_utime=0, si_stime=0}, WCONTINUED, NULL) = 0", False),
    ("waitid(P_ALL, 0, {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=11, si_uid=0, si_status=0, "
     "si_utime=0, si_stime=0}, WEXITED|WNOWAIT, NULL) = 0", False),
    ("waitid(P_ALL, 0, {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=11, si_uid=0, si_status=SIGTERM, "
     "si_utime=0, si_stime=0}, WEXITED, NULL) = 0", True),
])
def test_only_an_exit_or_a_death_reaps(call: str, reaps: bool) -> None:
    ex = parse_trace("10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11\n"
                     "11 1.1 +++ exited with 0 +++\n"
                     f"10 1.2 {call}\n")
    assert (ex.tasks[11].reaped_by == 10) is reaps


def test_a_wait_without_status_on_a_child_still_running_is_not_a_reap() -> None:
    ex = parse_trace("10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11\n"
                     "10 1.2 wait4(11, NULL, WUNTRACED, NULL) = 11\n")
    assert ex.tasks[11].reaped_by is None


# ------------------------------------------------------------------ failed execs


def test_failed_execvp_is_recorded_and_the_path_search_is_marked() -> None:
    ex = evidence("failed_execvp_py").execution
    final = [f for f in ex.failed_execs if not f.superseded]
    assert {f.path.rsplit("/", 1)[-1] for f in final} == {"wcc"}
    assert all(f.errno == "ENOENT" and f.argv == ["wcc", "-l"] for f in final)
    searched = [f for f in ex.failed_execs if f.superseded]
    assert searched and all(f.path.endswith("/true") for f in searched), "execvp('true') found it on PATH"
    assert ex.to_json()["failed_execs"][0]["errno"] == "ENOENT"


def test_huge_argv_is_capped_with_a_note() -> None:
    big = "A" * 1_800_000
    ex = parse_trace(f'10 1.0 execve("/usr/bin/echo", ["echo", "{big}", "x"], 0x7ffd /* 3 vars */) = 0\n')
    [e] = ex.tasks[10].execs
    assert e.argv[0] == "echo" and sum(map(len, e.argv)) < 10_000
    assert ex.summarized["argv_bytes"] >= 1_790_000


# ------------------------------------------------------------------ blocked


def test_single_task_pause_printed_whole_is_blocked() -> None:
    ex = evidence("pause_c").execution
    [b] = ex.blocked
    assert (b.tid, b.syscall, b.source) == (ex.root, "pause", "trace")
    assert ex.tasks[ex.root].stopped_by == "timeout"


def test_restart_syscall_names_the_interrupted_call() -> None:
    ex = parse_trace(
        "10 1.0 clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=100, tv_nsec=0},  <unfinished ...>\n"
        "10 1.1 <... clock_nanosleep resumed>0x7ffd) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)\n"
        "10 1.1 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=11, si_uid=0, si_status=0} ---\n"
        "10 1.2 restart_syscall(<... resuming interrupted clock_nanosleep ...>) = ?\n"
        "10 3.0 +++ killed by SIGKILL +++\n", stopped_for="timeout")
    [b] = ex.blocked
    assert b.syscall == "clock_nanosleep" and "tv_sec=100" in b.args


@pytest.mark.parametrize("call", [
    "futex(0x55d0, FUTEX_WAIT_PRIVATE, 0, NULL",
    "nanosleep({tv_sec=5, tv_nsec=0}, ",
    "poll([{fd=3<pipe:[7]>, events=POLLIN}], 1, -1",
    "select(4, [3<pipe:[7]>], NULL, NULL, NULL",
    "epoll_wait(5<anon_inode:[eventpoll]>, ",
    "rt_sigsuspend([], 8",
    "accept4(3<socket:[9]>, ",
])
def test_every_call_left_inside_is_blocked(call: str) -> None:
    for tail in (" <unfinished ...>\n10 2.0 +++ killed by SIGKILL +++\n", " <unfinished ...>) = ?\n",
                 ") = ?\n10 2.0 +++ killed by SIGKILL +++\n"):
        ex = parse_trace("10 1.0 " + call + tail, stopped_for="timeout")
        assert [b.syscall for b in ex.blocked] == [call.split("(")[0]], tail


def test_wait_for_any_child_waits_for_the_live_ones() -> None:
    ex = parse_trace(
        "10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11\n"
        "10 1.1 clone(child_stack=NULL, flags=SIGCHLD) = 12\n"
        "10 1.2 clone(child_stack=NULL, flags=SIGCHLD) = 13\n"
        "13 1.3 +++ exited with 0 +++\n"
        "10 1.4 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 13\n"
        "10 1.5 wait4(-1,  <unfinished ...>\n", stopped_for="timeout")
    [b] = ex.blocked
    assert b.waits_for == [11, 12]


def test_proc_snapshot_names_a_call_the_trace_did_not_show() -> None:
    ex = parse_trace(
        "10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11\n"
        "10 1.1 clone(child_stack=NULL, flags=SIGCHLD) = 13\n"
        "10 2.0 +++ killed by SIGKILL +++\n11 2.0 +++ killed by SIGKILL +++\n",
        stopped_for="timeout",
        final_tasks=[{"tid": 10, "tgid": 10, "state": "S", "call": "wait4", "args": [11, 0, 0, 0, 0, 0]},
                     {"tid": 11, "tgid": 11, "state": "S", "call": "read", "args": [3, 0, 0],
                      "fd": {"fd": 3, "target": "pipe:[7]", "mode": "r"}},
                     {"tid": 12, "tgid": 12, "state": "R", "call": None},
                     {"tid": 13, "tgid": 13, "state": "t", "call": "kill", "args": [13, 19]}])
    got = {b.tid: b for b in ex.blocked}
    assert set(got) == {10, 11} and all(b.source == "proc" for b in got.values()), "a stopped task is in no call"
    assert got[10].syscall == "wait4" and got[10].waits_for == [11]
    assert got[11].channel is not None and got[11].channel.ident == "pipe:[7]"


# ------------------------------------------------------------------ runtime helpers


def test_resource_tracker_is_a_helper_with_its_reason() -> None:
    ex = evidence("mp_tracker_py").execution
    helpers = runtime_helpers(ex)
    assert len(helpers) == 1
    [(pid, why)] = helpers.items()
    assert "resource tracker" in why and ex.tasks[pid].ppid == ex.root
    assert [t.tid for t in ex.student_processes()] == [ex.root]


def test_forkserver_and_tracker_are_helpers_the_worker_is_not() -> None:
    ex = evidence("mp_forkserver_py").execution
    helpers = runtime_helpers(ex)
    assert sorted(w.split(":")[0] for w in helpers.values()) == [
        "multiprocessing's forkserver", "multiprocessing's resource tracker"]
    workers = [t for t in kids(ex) if not t.runtime_helper]
    assert len(workers) == 1 and workers[0].ppid in helpers


def test_a_process_claiming_to_be_a_helper_is_the_students() -> None:
    ex = evidence("fake_helper_py").execution
    assert runtime_helpers(ex) == {}
    assert len(ex.student_processes()) == 5


def _helper_log(cmd: str, *, parent_imports: bool = True, argv0: str = "/usr/bin/python3.11",
                extra: str = "") -> str:
    opened = ('10 1.0 openat(AT_FDCWD</work>, "/usr/lib/python3.11/multiprocessing/__init__.py", '
              'O_RDONLY|O_CLOEXEC) = 3</usr/lib/python3.11/multiprocessing/__init__.py>\n') if parent_imports else ""
    return ('10 0.9 execve("/usr/bin/python3.11", ["/usr/bin/python3.11", "main.py"], 0x7ffd /* 5 vars */) = 0\n'
            + opened +
            "10 1.1 vfork() = 11\n"
            f'11 1.2 execve("/usr/bin/python3.11", ["{argv0}", "-B", "-c", "{cmd}"], 0x7ffd /* 5 vars */) = 0\n'
            + extra)


TRACKER = "from multiprocessing.resource_tracker import main;main(5)"


@pytest.mark.parametrize(("log", "helper"), [
    (_helper_log(TRACKER), True),
    (_helper_log(TRACKER, parent_imports=False), False),
    (_helper_log(TRACKER, argv0="python3"), False),
    (_helper_log("import sys # multiprocessing.resource_tracker"), False),
    (_helper_log(TRACKER + "; print(1)"), False),
    (_helper_log(TRACKER, extra='11 1.3 write(1<pipe:[5]>, "hello os\\n", 9) = 9\n'), False),
    (_helper_log(TRACKER, extra="11 1.3 clone(child_stack=NULL, flags=SIGCHLD) = 12\n"), False),
])
def test_helper_needs_the_exact_shape_and_the_behaviour(log: str, helper: bool) -> None:
    ex = parse_trace(log, stdout_channel="pipe:[5]")
    assert ex.tasks[11].runtime_helper is helper
    if not helper and ex.tasks[11].helper_reason is not None:
        assert ex.tasks[11].helper_reason.startswith("not taken as a runtime helper")


def test_a_child_ending_while_its_parent_is_inside_exit_group_was_a_zombie_that_long() -> None:
    ex = parse_trace(
        "10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11\n"
        "10 1.1 exit_group(0 <unfinished ...>\n"
        "11 1.2 +++ exited with 0 +++\n"
        "10 1.3 <... exit_group resumed>) = ?\n"
        "10 1.3 +++ exited with 0 +++\n")
    assert ex.tasks[11].zombie and ex.tasks[11].zombie_seconds == pytest.approx(0.1)


def test_ignoring_sigchld_is_inherited_by_a_forked_child() -> None:
    ex = parse_trace(
        "10 1.0 rt_sigaction(SIGCHLD, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, "
        "sa_restorer=0x7f}, NULL, 8) = 0\n"
        "10 1.1 clone(child_stack=NULL, flags=SIGCHLD) = 11\n"
        "11 1.2 clone(child_stack=NULL, flags=SIGCHLD) = 12\n"
        "12 1.3 +++ exited with 0 +++\n"
        "11 1.9 +++ exited with 0 +++\n")
    assert ex.tasks[12].auto_reaped and not ex.tasks[12].zombie

