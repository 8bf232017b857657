"""Recorded runs from the real sandbox parse into the facts the checks rely on."""

from __future__ import annotations

import itertools

import pytest
from trace_fixtures import load, scenarios

from grader.trace import Execution, describe, output_lines


def parsed(name: str) -> Execution:
    return load(name).parse()


@pytest.mark.parametrize("name", scenarios())
def test_every_fixture_parses_cleanly(name: str) -> None:
    fx = load(name)
    ex = fx.parse()
    assert ex.unparsed == []
    assert ex.root is not None and ex.tasks[ex.root].execs
    lines = output_lines(ex, fx.stdout)
    assert all(line.writers for line in lines), "every captured byte is attributed"
    assert describe(ex)


@pytest.mark.parametrize("name", ["fork3_py", "fork3_c"])
def test_fork_three_hello(name: str) -> None:
    fx = load(name)
    ex = fx.parse()
    procs = ex.processes()
    assert len(procs) == 3 and not ex.threads()
    root = ex.tasks[ex.root or 0]
    kids = ex.children(root.tid)
    assert len(kids) == 2
    assert all(k.created_by == "fork" and k.reaped_by == root.tid and k.exit_code == 0 for k in kids)
    assert not any(t.zombie or t.orphan for t in procs)
    lines = output_lines(ex, fx.stdout)
    assert [line.text for line in lines] == [b"hello os"] * 3
    assert sorted(p for line in lines for p in line.processes) == sorted(t.tid for t in procs)


def test_fork_chain_parents() -> None:
    ex = parsed("fork_chain_py")
    root = ex.root or 0
    chain = [root]
    while kids := ex.children(chain[-1]):
        assert len(kids) == 1
        chain.append(kids[0].tid)
    assert len(chain) == 4
    assert [t.tid for t in ex.descendants(root)] == chain[1:]
    assert all(ex.tasks[c].reaped_by == p for p, c in itertools.pairwise(chain))


def test_fanout_exit_codes_and_output() -> None:
    fx = load("fanout_py")
    ex = fx.parse()
    kids = ex.children(ex.root or 0)
    assert sorted(k.exit_code or 0 for k in kids) == [0, 1, 2, 3]
    for line in output_lines(ex, fx.stdout):
        pid = int(line.text.split()[3 if line.text.startswith(b"child") else 1])
        assert line.processes == [pid], "the pid printed is the pid that wrote the line"


@pytest.mark.parametrize("name", ["threads_py", "threads_c"])
def test_threads_are_threads(name: str) -> None:
    fx = load(name)
    ex = fx.parse()
    assert len(ex.processes()) == 1
    threads = ex.threads(ex.root)
    assert len(threads) == 3
    assert all("CLONE_THREAD" in t.clone_flags and t.tgid == ex.root for t in threads)
    lines = output_lines(ex, fx.stdout)
    for line in lines[:3]:
        assert line.writers == [int(line.text.split()[-1])]
        assert line.processes == [ex.root]


def test_pipe_eof_flow() -> None:
    ex = parsed("pipe_eof_py")
    assert [o.kind for o in ex.ipc] == ["pipe"]
    (flow,) = ex.flows
    assert flow.writer == ex.root and flow.nbytes == 15 and flow.sample == b"msg0;msg1;msg2;"
    assert not ex.blocked


def test_pipe_c_dup2_redirects_child_stdout_into_pipe() -> None:
    fx = load("pipe_c")
    ex = fx.parse()
    child = ex.children(ex.root or 0)[0].tid
    (w,) = [w for w in ex.writes if w.tid == child]
    assert w.fd == 1 and w.channel.kind == "pipe"
    assert ex.flows[0].writer == child and ex.flows[0].reader == ex.root
    assert [line.processes for line in output_lines(ex, fx.stdout)] == [[ex.root]]


def test_pipe_hang_blocked_read_with_holder() -> None:
    ex = parsed("pipe_hang_py")
    child = ex.children(ex.root or 0)[0].tid
    by_tid = {b.tid: b for b in ex.blocked}
    assert by_tid[ex.root or 0].syscall == "wait4"
    read = by_tid[child]
    assert read.syscall == "read" and read.channel is not None and read.channel.kind == "pipe"
    assert read.holders == [child], "the reader itself still holds the write end"
    assert ex.tasks[child].end is None


def test_socketpair_both_ways() -> None:
    ex = parsed("socketpair_py")
    (obj,) = ex.ipc
    assert obj.kind == "socketpair" and len(obj.aliases) == 2
    pairs = {(f.writer, f.reader, f.nbytes) for f in ex.flows}
    child = ex.children(ex.root or 0)[0].tid
    assert pairs == {(ex.root, child, 16), (child, ex.root, 16)}


def test_multiprocessing_value() -> None:
    ex = parsed("mp_value_py")
    kids = ex.children(ex.root or 0)
    assert len(kids) == 2 and all(k.multiprocessing_child for k in kids)
    student = ex.student_ipc()
    assert [o.kind for o in student] == ["posix_shm"]
    assert sorted(student[0].users) == sorted([ex.root or 0] + [k.tid for k in kids])
    assert all(o.runtime_helper for o in ex.ipc if o.kind in ("pipe", "semaphore"))


def test_shared_memory_resource_tracker_is_a_helper() -> None:
    ex = parsed("shared_memory_py")
    helpers = [t for t in ex.processes() if t.runtime_helper]
    assert len(helpers) == 1 and helpers[0].created_by == "vfork"
    assert "multiprocessing.resource_tracker" in " ".join(helpers[0].execs[0].argv)
    assert len(ex.student_processes()) == 2
    shm = [o for o in ex.ipc if o.kind == "posix_shm"]
    assert len(shm) == 1 and shm[0].name and shm[0].name.startswith("/psm_") and not shm[0].left_behind
    assert all(o.runtime_helper for o in ex.ipc if o.kind == "pipe")


def test_zombie() -> None:
    ex = parsed("zombie_py")
    (child,) = ex.children(ex.root or 0)
    assert child.zombie and not child.orphan and child.exit_code == 3 and child.reaped_by is None


def test_orphan() -> None:
    fx = load("orphan_py")
    ex = fx.parse()
    (child,) = ex.children(ex.root or 0)
    assert child.orphan and child.reparented_to == 1
    assert child.end is not None and (ex.tasks[ex.root or 0].end or 0) < child.end


def test_segv_and_sigterm_and_sigkill() -> None:
    ex = parsed("segv_c")
    (child,) = ex.children(ex.root or 0)
    assert child.signal == "SIGSEGV" and child.exit_code is None and child.reaped_by == ex.root
    assert any(s.signal == "SIGSEGV" and s.sender is None and s.delivered_to == child.tid for s in ex.signals)

    ex = parsed("kill_child_py")
    (child,) = ex.children(ex.root or 0)
    assert child.signal == "SIGTERM"
    sent = [s for s in ex.signals if s.delivered_to is None]
    assert [(s.sender, s.target, s.signal) for s in sent] == [(ex.root, child.tid, "SIGTERM")]
    delivered = [s for s in ex.signals if s.signal == "SIGTERM" and s.delivered_to == child.tid]
    assert delivered[0].sender == ex.root

    ex = parsed("sigkill_py")
    assert ex.tasks[ex.root or 0].signal == "SIGKILL"


def test_forkbomb_failed_forks() -> None:
    ex = parsed("forkbomb_c")
    assert ex.failed_forks and all(e == "EAGAIN" for _, _, e in ex.failed_forks)
    assert len(ex.processes()) >= 50


def test_print_before_fork_duplicates() -> None:
    fx = load("print_before_fork_py")
    ex = fx.parse()
    lines = output_lines(ex, fx.stdout)
    before = [line for line in lines if line.text == b"before fork"]
    assert len(before) == 2 and {line.processes[0] for line in before} == {t.tid for t in ex.processes()}


def test_merged_lines_have_several_writers() -> None:
    fx = load("merged_lines_py")
    ex = fx.parse()
    lines = output_lines(ex, fx.stdout)
    assert sum(len(line.writers) > 1 for line in lines) > 0
    assert b"".join(line.text + b"\n" for line in lines) == fx.stdout
    total = sum(len(w.data) for w in ex.writes_to("stdout"))
    assert total == len(fx.stdout)


def test_task_lines_point_into_the_log() -> None:
    fx = load("pipe_eof_py")
    ex = fx.parse()
    log = fx.text.split("\n")
    for tid in ex.tasks:
        for n in ex.task_lines(tid):
            assert log[n - 1].startswith(str(tid))


def test_stdout_fallback_without_channel() -> None:
    fx = load("fork3_py")
    from grader.trace import parse_trace

    ex = parse_trace(fx.text)
    assert len(ex.writes_to("stdout")) == 3
    assert ex.stdout_channel == fx.meta["stdout_channel"]
