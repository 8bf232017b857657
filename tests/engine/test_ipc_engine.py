"""Issue 11 item 7 on the real engine: the IPC programs of tests/data/traces/ipc_* run in the sandbox
now, traced with the grader's STRACE_ARGS, give the facts their recorded fixtures give."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.sandbox.records import Limits, RunRecord, RunRequest
from grader.trace import Execution, output_lines, parse_trace
from grader.trace.buffering import flushed_by_other_thread, shared_stdio_processes

pytestmark = pytest.mark.engine

TRACES = Path(__file__).resolve().parent.parent / "data" / "traces"
PY = ["ipc_sem_link_py", "ipc_mp_shared_py", "ipc_relative_paths_py", "ipc_unix_early_py", "ipc_file_flow_py",
      "ipc_eventfd_py"]
C = ["ipc_shm_open_c", "threads_stdio_c"]


@pytest.fixture(scope="module")
def records(docker_sandbox, tmp_path_factory) -> dict[str, RunRecord]:
    out: dict[str, RunRecord] = {}
    py = tmp_path_factory.mktemp("ipc_py")
    for name in PY:
        shutil.copy(TRACES / name / "program.py", py / f"{name}.py")
    result = docker_sandbox.run(py, [RunRequest(name=n, command=("python3", f"{n}.py")) for n in PY],
                                limits=Limits(timeout_ms=5000))
    assert result.internal_error is None, result.internal_error
    out.update({n: result.runs[n][0] for n in PY})
    c = tmp_path_factory.mktemp("ipc_c")
    for name in C:
        shutil.copy(TRACES / name / "program.c", c / f"{name}.c")
    build = ["sh", "-c", " && ".join(f"gcc -O0 -pthread -o {n} {n}.c" for n in C)]
    result = docker_sandbox.run(c, [RunRequest(name=n, command=(f"./{n}",)) for n in C],
                                limits=Limits(timeout_ms=5000), build=build)
    assert result.internal_error is None and result.build is not None and result.build.ok, result.build
    out.update({n: result.runs[n][0] for n in C})
    for name, record in out.items():
        assert record.exit_code == 0 and record.stopped_for is None, (name, record.stderr)
    return out


def model(record: RunRecord) -> Execution:
    return parse_trace(record.trace_text(), stdout_channel=record.stdout_channel, stderr_channel=record.stderr_channel)


def student_children(ex: Execution) -> list[int]:
    return [t.tid for t in ex.children(ex.root or 0) if not t.runtime_helper]


def test_socket_decorations_are_kernel_identities(records) -> None:
    trace = records["ipc_unix_early_py"].trace_text()
    assert "<UNIX-STREAM:[" in trace and "<TCP:[127.0.0.1:" in trace, "STRACE_ARGS decode sockets"


def test_semaphore_is_the_runtimes(records) -> None:
    ex = model(records["ipc_sem_link_py"])
    (sem,) = [o for o in ex.ipc if o.kind == "semaphore"]
    assert sem.ident.startswith("/dev/shm/sem.mp-") and sem.runtime_helper and not sem.left_behind
    assert ex.student_ipc() == []


def test_shm_mapped_by_both(records) -> None:
    ex = model(records["ipc_shm_open_c"])
    (child,) = student_children(ex)
    (shm,) = ex.ipc
    assert (shm.kind, shm.name, shm.mapped_by, shm.left_behind) == ("posix_shm", "/demo_shm", [ex.root, child], False)
    ex = model(records["ipc_mp_shared_py"])
    (worker,) = student_children(ex)
    shm_objects = [o for o in ex.ipc if o.kind == "posix_shm"]
    assert len(shm_objects) == 2 and all(o.mapped_by == [ex.root, worker] for o in shm_objects)
    assert not [o for o in ex.ipc if o.kind == "shared_mmap"]


def test_relative_paths_and_socket_file_left(records) -> None:
    ex = model(records["ipc_relative_paths_py"])
    left = {o.ident: o.left_behind for o in ex.ipc}
    assert left == {"/work/f": False, "/work/sub/g": False, "/work/sub/clean.sock": False,
                    "/work/sub/left.sock": True}


def test_early_bytes_flow(records) -> None:
    ex = model(records["ipc_unix_early_py"])
    unix_child, tcp_child = student_children(ex)
    assert sorted((f.kind, f.writer, f.reader, f.nbytes) for f in ex.flows) == [
        ("tcp_loopback", tcp_child, ex.root, 11), ("unix_socket", unix_child, ex.root, 11)]


def test_file_flows(records) -> None:
    ex = model(records["ipc_file_flow_py"])
    (child,) = student_children(ex)
    assert sorted((f.channel, f.writer, f.reader, f.nbytes) for f in ex.flows if f.kind == "file") == [
        ("/work/reply.txt", child, ex.root, 6), ("/work/request.txt", ex.root, child, 14)]


def test_eventfd_flow(records) -> None:
    ex = model(records["ipc_eventfd_py"])
    (child,) = student_children(ex)
    assert [(f.kind, f.writer, f.reader, f.nbytes) for f in ex.flows] == [("eventfd", child, ex.root, 8)]


def test_thread_stdio_flush(records) -> None:
    record = records["threads_stdio_c"]
    ex = model(record)
    lines = output_lines(ex, record.stdout)
    assert len(lines) == 4 and all(line.writers == [ex.root] for line in lines)
    assert shared_stdio_processes(ex) == {ex.root}
    assert all(flushed_by_other_thread(ex, line) for line in lines)
