"""The sandbox against the real Docker engine: limits, isolation, cleanup."""

from __future__ import annotations

import resource
import textwrap
from pathlib import Path

import pytest

from grader.sandbox.records import Limits, RunRequest

pytestmark = pytest.mark.engine

PROGRAMS = {
    "fork3.py": """
        import os
        for _ in range(2):
            if os.fork() == 0:
                print("hello os", flush=True)
                os._exit(0)
        print("hello os", flush=True)
        for _ in range(2):
            os.wait()
    """,
    "loop.py": "while True: pass\n",
    "sleep.py": "import time; time.sleep(1000)\n",
    "bomb.py": """
        import os
        while True:
            try: os.fork()
            except OSError: pass
    """,
    "tbomb.py": """
        import threading, time
        while True:
            try: threading.Thread(target=time.sleep, args=(100,)).start()
            except RuntimeError: pass
    """,
    "hog.py": """
        chunks = []
        while True: chunks.append(bytearray(16 * 2**20))
    """,
    "flood.py": """
        import sys
        block = b"y" * 65536
        for _ in range(1600):  # 100 MiB
            sys.stdout.buffer.write(block)
    """,
    "net.py": """
        import socket
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=1)
            print("outside: connected")
        except OSError as exc:
            print("outside: failed", exc.errno)
        try:
            socket.getaddrinfo("example.com", 80)
            print("dns: resolved")
        except OSError:
            print("dns: failed")
        server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
        client = socket.create_connection(server.getsockname())
        print("loopback: ok")
    """,
    "spy.py": """
        import os, signal
        for path in ["/grader", "/grader/plan.json", "/grader/out", "/trace"]:
            try:
                os.listdir(path) if os.path.isdir(path) else open(path).read()
                print("READ", path)
            except OSError:
                print("denied", path)
        for path in ["/grader/out/run-0-0.json", "/trace/x", "/etc/passwd", "/usr/bin/evil"]:
            try:
                open(path, "w").write("{}")
                print("WROTE", path)
            except OSError:
                print("denied", path)
        killed = []
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) not in (os.getpid(), 1):
                try:
                    os.kill(int(pid), signal.SIGKILL)
                    killed.append(pid)
                except OSError:
                    pass
        print("killed", len(killed))
        try:
            os.kill(1, signal.SIGKILL)
        except OSError:
            pass
        print("still here")
    """,
    "daemon.py": """
        import os, time
        if os.path.exists("/tmp/marker") or os.path.exists("/work/marker"):
            print("LEFTOVER FROM PREVIOUS RUN", flush=True)
        open("/tmp/marker", "w").write("x")
        open("marker", "w").write("x")
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(0.2)
                print("daemon alive", flush=True)
                time.sleep(100)
            os._exit(0)
        os.wait()
        print("parent done", flush=True)
    """,
    "survivor.py": """
        import os
        print("alive processes of mine:", len([p for p in os.listdir("/proc")
              if p.isdigit() and os.stat("/proc/" + p).st_uid == os.getuid()]), flush=True)
    """,
    "env.py": """
        import os, sys
        print(sorted(os.environ))
        print(sys.executable, os.getuid())
    """,
}


@pytest.fixture(scope="module")
def programs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sub")
    for name, text in PROGRAMS.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def run(sandbox, folder, name, *, repeat=1, **limits):
    result = sandbox.run(folder, [RunRequest(name=name, command=("python3", name), repeat=repeat)],
                         limits=Limits(**{"timeout_ms": 3000, **limits}))
    assert result.internal_error is None, result.internal_error
    records = result.runs[name]
    assert len(records) == repeat
    return records


def test_fork_three_processes_shows_in_trace(docker_sandbox, programs):
    [record] = run(docker_sandbox, programs, "fork3.py")
    assert record.exit_code == 0
    assert record.stdout == b"hello os\n" * 3
    from grader.trace import parse_trace

    execution = parse_trace(record.trace, stdout_channel=record.stdout_channel)
    assert len(execution.processes()) == 3
    assert record.image_id.startswith("sha256:")


def test_environment_is_the_sandboxs_own(docker_sandbox, programs, monkeypatch):
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")
    [record] = run(docker_sandbox, programs, "env.py")
    text = record.stdout.decode()
    assert "PYTHONUNBUFFERED" not in text
    assert "/usr/bin/python3" in text and " 1000" in text  # real interpreter, unprivileged uid


@pytest.mark.parametrize("name", ["loop.py", "sleep.py"])
def test_wall_clock_limit_kills(docker_sandbox, programs, name):
    [record] = run(docker_sandbox, programs, name, timeout_ms=1500)
    assert record.timed_out
    assert record.signal == "SIGKILL"
    assert 1400 <= record.wall_ms < 4000
    assert record.final_tasks, "what each task was doing at the kill is recorded"


@pytest.mark.parametrize("name", ["bomb.py", "tbomb.py"])
def test_process_and_thread_bombs_hit_pids_limit(docker_sandbox, programs, name):
    [record] = run(docker_sandbox, programs, name, timeout_ms=1500, pids=32)
    assert record.pids_limit_hit
    assert record.wall_ms < 6000


def test_memory_hog_is_out_of_memory(docker_sandbox, programs):
    [record] = run(docker_sandbox, programs, "hog.py", memory_bytes=128 * 2**20)
    assert record.oom_killed
    assert not record.timed_out


def test_output_flood_is_capped(docker_sandbox, programs):
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    [record] = run(docker_sandbox, programs, "flood.py", output_bytes=64 * 2**10)
    assert record.output_limit_hit and record.stdout_truncated
    assert len(record.stdout) == 64 * 2**10
    assert record.stdout_total > 64 * 2**10
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert grown_kib < 50 * 1024, f"the grader's memory grew by {grown_kib} KiB"


def test_network_is_off_but_loopback_works(docker_sandbox, programs):
    [record] = run(docker_sandbox, programs, "net.py")
    out = record.stdout.decode()
    assert "outside: failed" in out
    assert "dns: failed" in out
    assert "loopback: ok" in out


def test_program_cannot_touch_trace_or_results_or_tracer(docker_sandbox, programs):
    [record] = run(docker_sandbox, programs, "spy.py")
    out = record.stdout.decode()
    assert "READ" not in out and "WROTE" not in out, out
    assert "killed 0" in out
    assert "still here" in out
    from grader.trace import parse_trace

    execution = parse_trace(record.trace, stdout_channel=record.stdout_channel)
    assert execution.processes(), "the trace survived the attempts"


def test_double_forked_daemon_does_not_survive_into_next_repeat(docker_sandbox, programs):
    first, second = run(docker_sandbox, programs, "daemon.py", repeat=2)
    for record in (first, second):
        assert b"LEFTOVER" not in record.stdout
        assert b"parent done" in record.stdout
        assert record.stopped_for == "linger"


def test_missing_command_is_a_record_not_an_exception(docker_sandbox, programs):
    result = docker_sandbox.run(programs, [RunRequest(name="x", command=("no-such-program",))], limits=Limits())
    [record] = result.runs["x"]
    assert record.start_failed and "no-such-program" in record.start_failed


def test_build_failure_is_a_record(docker_sandbox, tmp_path):
    (tmp_path / "bad.c").write_text("int main( { return 0; }\n")
    result = docker_sandbox.run(tmp_path, [RunRequest(name="x", command=("./bad",))], limits=Limits(),
                                build=["gcc", "-o", "bad", "bad.c"])
    assert result.build is not None and not result.build.ok
    assert b"error" in result.build.output
    assert result.runs["x"] == []


def test_build_then_run_c(docker_sandbox, tmp_path):
    (tmp_path / "hello.c").write_text(
        '#include <stdio.h>\n#include <unistd.h>\n#include <sys/wait.h>\n'
        'int main(void){ if(fork()==0){puts("child");return 0;} wait(NULL); puts("parent"); return 3; }\n')
    result = docker_sandbox.run(tmp_path, [RunRequest(name="x", command=("./hello",), repeat=2)],
                                limits=Limits(), build=["gcc", "-o", "hello", "hello.c"])
    assert result.build is not None and result.build.ok
    for record in result.runs["x"]:
        assert record.exit_code == 3
        assert record.stdout == b"child\nparent\n"


def test_submission_that_does_not_exist(docker_sandbox, tmp_path):
    from grader.errors import UsageError

    with pytest.raises(UsageError, match="does not exist"):
        docker_sandbox.run(tmp_path / "nope", [RunRequest(name="x", command=("true",))], limits=Limits())


def test_no_labelled_container_left(docker_sandbox, programs):
    from grader.sandbox.engine import OWNER_LABEL, owner_id

    run(docker_sandbox, programs, "fork3.py")
    mine = [c for c in docker_sandbox.engine.labelled() if c.labels.get(OWNER_LABEL) == owner_id()]
    assert mine == []


def test_leftover_of_a_dead_grader_is_swept(docker_sandbox, programs):
    """A container whose grader died (kill -9) is removed by the next grader's start-up sweep."""
    import subprocess
    import sys
    import time

    from grader.sandbox.docker_sandbox import DockerSandbox
    from grader.sandbox.engine import LABEL

    child = subprocess.Popen([sys.executable, "-c", (
        "from pathlib import Path; from grader.sandbox.docker_sandbox import DockerSandbox;"
        "from grader.sandbox.records import Limits, RunRequest;"
        f"DockerSandbox().run(Path({str(programs)!r}), [RunRequest(name='s', command=('python3','sleep.py'))],"
        " limits=Limits(timeout_ms=60000))")])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            owned = [c for c in docker_sandbox.engine.labelled()
                     if c.labels.get("grader.owner", "").endswith(f":{child.pid}")]
            if owned:
                break
            time.sleep(0.1)
        assert owned, "the child grader never started its container"
    finally:
        child.kill()
        child.wait()
    leftover = owned[0].id
    assert any(c.id == leftover for c in docker_sandbox.engine.labelled()), "kill -9 leaves the container"
    DockerSandbox()  # start-up sweep
    assert not any(c.id == leftover for c in docker_sandbox.engine.labelled())
    assert LABEL in owned[0].labels


SERVER = """
import socket
server = socket.socket()
server.bind(("127.0.0.1", 8080))   # no SO_REUSEADDR: a port in TIME_WAIT from a previous run fails
server.listen()
client = socket.create_connection(("127.0.0.1", 8080))
conn, _ = server.accept()
conn.close()                        # the server side closes first: its port goes to TIME_WAIT
client.close()
server.close()
print("served")
"""


def test_a_closed_port_is_free_for_the_next_repeat(docker_sandbox, tmp_path):
    """Repeats share one network namespace; TIME_WAIT is off so a fixed port can be bound again."""
    (tmp_path / "server.py").write_text(SERVER)
    shared = run_request(docker_sandbox, tmp_path, RunRequest(name="s", command=("python3", "server.py"), repeat=3))
    assert [r.stdout for r in shared] == [b"served\n"] * 3, [r.stderr for r in shared]


def test_isolation_run_gives_each_repeat_a_fresh_container(docker_sandbox, tmp_path):
    (tmp_path / "host.py").write_text("import socket; print(socket.gethostname())\n")
    shared = run_request(docker_sandbox, tmp_path, RunRequest(name="h", command=("python3", "host.py"), repeat=2))
    assert shared[0].stdout == shared[1].stdout
    fresh = run_request(docker_sandbox, tmp_path, RunRequest(name="h", command=("python3", "host.py"), repeat=2,
                                                           isolation="run"))
    assert fresh[0].stdout != fresh[1].stdout
    assert [r.repeat_index for r in fresh] == [0, 1]


LEAVE_SYSV = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
before = open("/proc/sysvipc/shm").read().count("\\n") - 1 + open("/proc/sysvipc/sem").read().count("\\n") - 1
print("left by earlier runs:", before, flush=True)
libc.shmget(0, 4096, 0o1000)   # IPC_PRIVATE, IPC_CREAT, mode 000
libc.semget(0, 1, 0o1000)
"""


def test_sysv_objects_even_mode_000_are_gone_for_the_next_run(docker_sandbox, tmp_path):
    (tmp_path / "leave.py").write_text(LEAVE_SYSV)
    records = run_request(docker_sandbox, tmp_path, RunRequest(name="l", command=("python3", "leave.py"), repeat=2))
    assert [r.stdout for r in records] == [b"left by earlier runs: 0\n"] * 2


def run_request(sandbox, folder, request):
    result = sandbox.run(folder, [request], limits=Limits(timeout_ms=5000))
    assert result.internal_error is None, result.internal_error
    return result.runs[request.name]


HANG = """
import os
read_end, write_end = os.pipe()
if os.fork() == 0:
    os.write(write_end, b"hi")
    os._exit(0)
while os.read(read_end, 1024):   # the parent never closes its write end: no EOF, ever
    pass
"""


def test_a_hang_is_caught_inside_its_call_in_every_repeat(docker_sandbox, tmp_path):
    """The stop at the time limit must not disturb the evidence: each run shows the blocked read
    and that the reader itself still holds the write end."""
    from grader.trace import parse_trace

    (tmp_path / "hang.py").write_text(HANG)
    records = docker_sandbox.run(tmp_path, [RunRequest(name="h", command=("python3", "hang.py"), repeat=4)],
                                 limits=Limits(timeout_ms=800)).runs["h"]
    for record in records:
        assert record.timed_out
        execution = parse_trace(record.trace, stdout_channel=record.stdout_channel)
        [blocked] = execution.blocked
        assert blocked.syscall == "read" and blocked.channel is not None and blocked.channel.kind == "pipe"
        assert blocked.holders == [execution.root]
