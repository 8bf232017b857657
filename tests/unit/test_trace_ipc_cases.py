"""Issue 11 item 7: the IPC model on programs recorded in the real sandbox (tests/data/traces/ipc_*).

Each fixture is one small program recorded with tests/data/traces/record_sandbox.py (the grader's own
STRACE_ARGS, `--decode-fds=path,socket`); the *_yy fixtures re-record older scenarios with those
options beside their `-y` recordings, which must give the same facts.
"""

from __future__ import annotations

import pytest
from trace_fixtures import load

from grader.trace import Execution, output_lines
from grader.trace.buffering import flushed_by_other_thread, shared_stdio_processes


def parsed(name: str) -> Execution:
    return load(name).parse()


def only_child(ex: Execution) -> int:
    (child,) = [t for t in ex.children(ex.root or 0) if not t.runtime_helper]
    return child.tid


def test_multiprocessing_semaphore_is_the_runtimes_and_follows_its_link() -> None:
    fx = load("ipc_sem_link_py")
    assert 'link("/dev/shm/sem.' in fx.text, "glibc's sem_open: a temporary name, then link()"
    ex = fx.parse()
    (sem,) = [o for o in ex.ipc if o.kind == "semaphore"]
    assert sem.ident.startswith("/dev/shm/sem.mp-") and sem.name == "/" + sem.ident[len("/dev/shm/sem."):]
    temp = [a for a in sem.aliases if a != sem.ident]
    assert len(temp) == 1 and temp[0].startswith("/dev/shm/sem.") and not temp[0].startswith("/dev/shm/sem.mp-")
    assert sem.runtime_helper and not sem.left_behind
    assert ex.student_ipc() == [], "nothing the runtime made counts as the student's IPC"
    assert sorted(sem.users) == sorted(t.tid for t in ex.processes())


def test_shm_open_mmap_is_a_shared_mapping_of_that_object() -> None:
    ex = parsed("ipc_shm_open_c")
    child = only_child(ex)
    (shm,) = ex.ipc
    assert (shm.kind, shm.ident, shm.name) == ("posix_shm", "/dev/shm/demo_shm", "/demo_shm")
    assert shm.mapped_by == [ex.root, child], "mapped by the parent, inherited by the forked child"
    assert shm.users == [ex.root, child] and not shm.left_behind


def test_multiprocessing_value_array_shared_memory_are_posix_shm_mapped_by_both() -> None:
    ex = parsed("ipc_mp_shared_py")
    worker = only_child(ex)
    tracker = [t.tid for t in ex.processes() if t.runtime_helper]
    assert len(tracker) == 1
    shm = [o for o in ex.ipc if o.kind == "posix_shm"]
    assert sorted(o.name[:5] for o in shm if o.name) == ["/psm_", "/pym-"]  # SharedMemory; Value+Array arena
    for obj in shm:
        assert obj.mapped_by == [ex.root, worker] and obj.users == [ex.root, worker]
        assert not obj.left_behind and not obj.runtime_helper
    assert not [o for o in ex.ipc if o.kind == "shared_mmap"]
    assert not any(tracker[0] in o.users for o in ex.student_ipc()), "the vfork'd tracker mapped nothing"


def test_relative_paths_resolved_against_each_tasks_cwd() -> None:
    fx = load("ipc_relative_paths_py")
    assert 'unlink("f")' in fx.text and 'chdir("sub")' in fx.text and 'unlink("clean.sock")' in fx.text
    ex = fx.parse()
    child = only_child(ex)
    by_ident = {o.ident: o for o in ex.ipc}
    assert sorted(by_ident) == ["/work/f", "/work/sub/clean.sock", "/work/sub/g", "/work/sub/left.sock"]
    assert [(o.kind, o.left_behind) for o in (by_ident["/work/f"], by_ident["/work/sub/g"])] == \
        [("fifo", False), ("fifo", False)]
    assert by_ident["/work/f"].users == [ex.root, child]
    assert (by_ident["/work/sub/clean.sock"].kind, by_ident["/work/sub/clean.sock"].left_behind) == \
        ("unix_socket", False)
    assert (by_ident["/work/sub/left.sock"].kind, by_ident["/work/sub/left.sock"].left_behind) == \
        ("unix_socket", True), "bound by path, never unlinked: the socket file is still on disk"
    (flow,) = ex.flows
    assert (flow.kind, flow.channel, flow.writer, flow.reader, flow.sample) == \
        ("fifo", "/work/f", child, ex.root, b"through the fifo\n")


def test_bytes_sent_before_accept_returns_are_a_flow() -> None:
    fx = load("ipc_unix_early_py")
    log = fx.text
    for family in ("UNIX-STREAM", "TCP"):
        sent = log.index(f'sendto(3<{family}:')
        accepted = log.index("accept4(", log.rfind("listen(", 0, sent))
        assert sent < accepted, "the child's send is logged before the parent's accept"
    ex = fx.parse()
    unix_child, tcp_child = [t.tid for t in ex.children(ex.root or 0)]
    flows = sorted((f.kind, f.writer, f.reader, f.nbytes, f.sample) for f in ex.flows)
    assert flows == [("tcp_loopback", tcp_child, ex.root, 11, b"early bytes"),
                     ("unix_socket", unix_child, ex.root, 11, b"early bytes")]
    (tcp,) = [o for o in ex.ipc if o.kind == "tcp_loopback"]
    assert tcp.ident.startswith("tcp:") and tcp.ident != "tcp:0", "the port the kernel gave bind(port 0)"
    assert tcp.users == [ex.root, tcp_child]
    (unix,) = [o for o in ex.ipc if o.kind == "unix_socket"]
    assert unix.ident == "/work/early.sock" and not unix.left_behind
    # every socket is keyed by its inode (or its first key), whatever strace's text said at the time
    socket_channels = {w.channel.ident for w in ex.writes + ex.reads if w.channel.kind == "socket"}
    assert all(c.startswith("socket:") for c in socket_channels)


def test_file_written_by_one_process_and_read_by_another_is_a_flow() -> None:
    ex = parsed("ipc_file_flow_py")
    child = only_child(ex)
    flows = sorted((f.channel, f.kind, f.writer, f.reader, f.nbytes, f.sample) for f in ex.flows)
    assert flows == [("/work/reply.txt", "file", child, ex.root, 6, b"sum 6\n"),
                     ("/work/request.txt", "file", ex.root, child, 14, b"numbers 1 2 3\n")]
    files = {o.ident: o for o in ex.ipc if o.kind == "file"}
    assert sorted(files) == ["/work/reply.txt", "/work/request.txt"]


def test_threads_stdio_flush_is_flagged_as_a_buffering_artefact() -> None:
    fx = load("threads_stdio_c")
    ex = fx.parse()
    root = ex.root or 0
    assert len(ex.threads(root)) == 3
    (w,) = [w for w in ex.writes_to("stdout")]
    assert w.tid == root and w.data.count(b"\n") == 4, "one exit-time flush by the main thread"
    lines = output_lines(ex, fx.stdout)
    printed_by = [int(line.text.split()[1]) for line in lines]
    assert sorted(printed_by) == sorted([root] + [t.tid for t in ex.threads(root)])
    assert all(line.writers == [root] for line in lines), "the kernel's writer is the main thread"
    shared = shared_stdio_processes(ex)
    assert shared == {root}
    assert all(flushed_by_other_thread(ex, line, shared=shared) for line in lines)
    assert all(flushed_by_other_thread(ex, line) for line in lines)


@pytest.mark.parametrize("name", ["threads_c", "threads_py", "fork3_c", "merged_lines_py"])
def test_one_line_per_write_is_not_a_buffering_artefact(name: str) -> None:
    fx = load(name)
    ex = fx.parse()
    assert shared_stdio_processes(ex) == set()
    assert not any(flushed_by_other_thread(ex, line) for line in output_lines(ex, fx.stdout))


# ----------------------------------------------------------------------------- -y and -yy agree


@pytest.mark.parametrize("name", ["socketpair_py", "socketpair_py_yy"])
def test_socketpair_both_ways_either_decoding(name: str) -> None:
    ex = parsed(name)
    (obj,) = ex.ipc
    assert obj.kind == "socketpair" and len(obj.aliases) == 2
    assert all(a.startswith("socket:[") for a in obj.aliases)
    child = only_child(ex)
    assert {(f.writer, f.reader, f.nbytes) for f in ex.flows} == {(ex.root, child, 16), (child, ex.root, 16)}


@pytest.mark.parametrize("name", ["pipe_hang_py", "pipe_hang_py_yy"])
def test_pipe_hang_holders_either_decoding(name: str) -> None:
    ex = parsed(name)
    child = only_child(ex)
    read = next(b for b in ex.blocked if b.tid == child)
    assert read.syscall == "read" and read.channel is not None and read.channel.kind == "pipe"
    assert read.holders == [child]


@pytest.mark.parametrize("name", ["pipe_eof_py", "pipe_eof_py_yy", "pipe_c", "pipe_c_yy"])
def test_pipe_flows_either_decoding(name: str) -> None:
    ex = parsed(name)
    child = only_child(ex)
    (flow,) = ex.flows
    assert flow.kind == "pipe" and {flow.writer, flow.reader} == {ex.root, child}


@pytest.mark.parametrize("name", ["mp_value_py", "mp_value_py_yy"])
def test_multiprocessing_value_either_decoding(name: str) -> None:
    ex = parsed(name)
    kids = ex.children(ex.root or 0)
    assert len(kids) == 2 and all(k.multiprocessing_child for k in kids)
    (shm,) = ex.student_ipc()
    everyone = sorted([ex.root or 0] + [k.tid for k in kids])
    assert shm.kind == "posix_shm" and sorted(shm.users) == everyone and sorted(shm.mapped_by) == everyone
    assert all(o.runtime_helper and not o.left_behind for o in ex.ipc if o.kind == "semaphore")


@pytest.mark.parametrize("name", ["shared_memory_py", "shared_memory_py_yy"])
def test_shared_memory_either_decoding(name: str) -> None:
    ex = parsed(name)
    (shm,) = [o for o in ex.ipc if o.kind == "posix_shm"]
    student = sorted(t.tid for t in ex.student_processes())
    assert sorted(shm.mapped_by) == student and not shm.left_behind


def test_eventfd_signal_from_child_is_a_flow_of_that_eventfd() -> None:
    ex = parsed("ipc_eventfd_py")
    child = only_child(ex)
    used, unused = [o for o in ex.ipc if o.kind == "eventfd"]
    assert used.users == [ex.root, child] and unused.users == [ex.root]
    (flow,) = ex.flows
    assert (flow.kind, flow.channel, flow.writer, flow.reader, flow.nbytes) == ("eventfd", used.ident, child, ex.root, 8)
    assert flow.sample == (5).to_bytes(8, "little")
