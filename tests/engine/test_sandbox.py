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

    execution = parse_trace(record.trace_text(), stdout_channel=record.stdout_channel)
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

    execution = parse_trace(record.trace_text(), stdout_channel=record.stdout_channel)
    assert execution.processes(), "the trace survived the attempts"


def test_double_forked_daemon_does_not_survive_into_next_repeat(docker_sandbox, programs):
    first, second = run(docker_sandbox, programs, "daemon.py", repeat=2)
    for record in (first, second):
        assert b"LEFTOVER" not in record.stdout
        assert b"parent done" in record.stdout
        # The linger rule: the daemon may run (and print) until the time limit, then is stopped.
        assert b"daemon alive" in record.stdout
        assert record.stopped_for == "linger" and not record.timed_out
        assert record.stopped_at_ms is not None and record.stopped_at_ms >= 3000
        assert record.main_ended_ms is not None and record.main_ended_ms < record.stopped_at_ms
        assert [t["call"] for t in record.final_tasks] == ["clock_nanosleep"]


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
    # Another grader's start-up sweep (a parallel test's) may be removing it at the same moment: the engine
    # then refuses the second removal ("already in progress"), and the container goes a moment later.
    deadline = time.monotonic() + 15
    while any(c.id == leftover for c in docker_sandbox.engine.labelled()) and time.monotonic() < deadline:
        time.sleep(0.2)
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
        execution = parse_trace(record.trace_text(), stdout_channel=record.stdout_channel)
        [blocked] = execution.blocked
        assert blocked.syscall == "read" and blocked.channel is not None and blocked.channel.kind == "pipe"
        assert blocked.holders == [execution.root]


# ----------------------------------------------------------------- the linger rule (issue 11.6)

ORPHAN_PRINTS_LATE = """
import os, time
if os.fork() == 0:
    time.sleep(1.5)            # well after its parent has ended
    print("orphan done", flush=True)
    os._exit(0)
print("parent done", flush=True)
"""


def test_an_orphan_that_ends_before_the_limit_keeps_its_output(docker_sandbox, tmp_path):
    """After the main process ends the run waits for every task until the time limit: an orphan
    that prints 1.5 s later is heard, and nothing is said to be stopped."""
    (tmp_path / "late.py").write_text(ORPHAN_PRINTS_LATE)
    [record] = docker_sandbox.run(tmp_path, [RunRequest(name="l", command=("python3", "late.py"))],
                                  limits=Limits(timeout_ms=8000)).runs["l"]
    assert record.stdout == b"parent done\norphan done\n"
    assert record.stopped_for is None and record.final_tasks == [] and record.stopped_at_ms is None
    assert record.main_ended_ms is not None and record.main_ended_ms + 1400 <= record.wall_ms < 8000


# ----------------------------------------------------------------- the end-of-run snapshot (issue 11.2)

BLOCKED_C = r"""
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static void *waiter(void *arg) { (void)arg; pthread_mutex_lock(&m); pthread_cond_wait(&c, &m); return NULL; }
int main(int argc, char **argv) {
    const char *what = argv[1];
    if (!strcmp(what, "pause")) pause();
    if (!strcmp(what, "cond")) { pthread_t t; pthread_create(&t, NULL, waiter, NULL); pthread_join(t, NULL); }
    if (!strcmp(what, "sleep")) sleep(100);
    if (!strcmp(what, "poll")) {
        int p[2]; pipe(p);
        if (fork() == 0) { pause(); return 0; }   /* the child holds both ends too */
        struct pollfd fd = {.fd = p[0], .events = POLLIN};
        poll(&fd, 1, -1);
    }
    return 0;
}
"""
READ_OWN_PIPE = "import os\nr, w = os.pipe()\nos.read(r, 1)\n"


def test_the_snapshot_names_each_blocked_call_its_descriptor_and_who_holds_it(docker_sandbox, tmp_path):
    (tmp_path / "blocked.c").write_text(BLOCKED_C)
    (tmp_path / "hang.py").write_text(READ_OWN_PIPE)
    requests = [RunRequest(name=w, command=("./blocked", w)) for w in ("pause", "cond", "sleep", "poll")]
    requests.append(RunRequest(name="read", command=("python3", "hang.py")))
    result = docker_sandbox.run(tmp_path, requests, limits=Limits(timeout_ms=800),
                                build=["gcc", "-pthread", "-o", "blocked", "blocked.c"])
    assert result.build is not None and result.build.ok, result.build
    runs = {name: records[0] for name, records in result.runs.items()}
    for record in runs.values():
        assert record.timed_out and record.stopped_for == "timeout" and record.main_ended_ms is None
        assert all(isinstance(a, int) for t in record.final_tasks for a in t["args"])

    [pause] = runs["pause"].final_tasks
    assert pause["call"] == "pause" and "fd" not in pause
    assert sorted(t["call"] for t in runs["cond"].final_tasks) == ["futex", "futex"]  # join + cond_wait
    assert [t["call"] for t in runs["sleep"].final_tasks] == ["clock_nanosleep"]

    poller, child = sorted(runs["poll"].final_tasks, key=lambda t: t["tid"])
    assert poller["call"] in ("poll", "ppoll") and child["call"] == "pause"
    [watched] = poller["fds"]
    assert watched["fd"] == 3 and watched["mode"] == "r" and watched["wants"] == "read"
    assert watched["target"].startswith("pipe:[")
    holders = runs["poll"].open_ends[watched["target"]]
    assert {(h["pid"], h["mode"]) for h in holders} == {
        (poller["tgid"], "r"), (poller["tgid"], "w"), (child["tgid"], "r"), (child["tgid"], "w")}

    [reader] = runs["read"].final_tasks
    assert reader["call"] == "read" and reader["fd"]["mode"] == "r"
    target = reader["fd"]["target"]
    assert target.startswith("pipe:[")
    assert runs["read"].open_ends[target] == [
        {"pid": reader["tgid"], "fd": reader["fd"]["fd"], "mode": "r"},
        {"pid": reader["tgid"], "fd": reader["fd"]["fd"] + 1, "mode": "w"}]


def test_the_name_table_and_seccomp_numbers_come_from_the_images_headers(docker_sandbox):
    """The harness parses the image's own asm/unistd_64.h; the seccomp filter's numbers agree with
    the image's headers for both x86 ABIs."""
    import platform
    import re

    from grader.sandbox import harness

    if platform.machine() != "x86_64":
        pytest.fail("this check is written for x86_64 hosts")
    headers = {}
    for bits in ("64", "32"):
        code, text = docker_sandbox.engine.run_probe(
            docker_sandbox.image, ["cat", f"/usr/include/x86_64-linux-gnu/asm/unistd_{bits}.h"])
        assert code == 0, text
        headers[bits] = {m[1]: int(m[2]) for m in re.finditer(r"#define __NR_(\w+) (\d+)", text.decode())}
    names = ("clone", "clone3", "ioctl", "io_uring_setup", "io_uring_enter", "io_uring_register")
    assert harness.SECCOMP_ARCHES[0xC000003E] == tuple(headers["64"][n] for n in names)
    assert harness.SECCOMP_ARCHES[0x40000003] == tuple(headers["32"][n] for n in names)
    assert headers["64"]["pause"] == 34 and headers["64"]["clock_nanosleep"] == 230


def test_the_name_table_for_arm64_comes_from_asm_generic(docker_sandbox, tmp_path):
    """aarch64 has no unistd_64.h: its table is asm-generic/unistd.h, where the 64-bit names
    (fcntl, newfstatat) are chosen over the 32-bit ones (fcntl64, fstatat64). The image's own
    copy of the header, parsed by the harness's code; the expected numbers are arm64's ABI."""
    from grader.sandbox import harness

    code, text = docker_sandbox.engine.run_probe(docker_sandbox.image, ["cat", "/usr/include/asm-generic/unistd.h"])
    assert code == 0, text
    header = tmp_path / "usr/include/asm-generic/unistd.h"
    header.parent.mkdir(parents=True)
    header.write_bytes(text)
    table = harness.syscall_names("aarch64", root=str(tmp_path))
    assert {nr: table[nr] for nr in (25, 29, 63, 64, 73, 79, 98, 101, 220, 435)} == {
        25: "fcntl", 29: "ioctl", 63: "read", 64: "write", 73: "ppoll", 79: "newfstatat", 98: "futex",
        101: "nanosleep", 220: "clone", 435: "clone3"}
    assert harness.syscall_names("aarch64", root=str(tmp_path / "nothing")) == {}, "no headers: no names"


# ----------------------------------------------------------------- seccomp rules (issue 18.7, 18.11)

ESCAPES_C = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
static char stack[65536];
static int child(void *arg) { (void)arg; return 0; }
static void *thread(void *arg) { (void)arg; return NULL; }
static const char *err(long r) { return r < 0 ? strerror(errno) : "ok"; }
int main(void) {
    printf("clone untraced: %s\n", err(clone(child, stack + sizeof stack, CLONE_UNTRACED | SIGCHLD, NULL)));
    char c = 'x';
    printf("tiocsti: %s\n", err(ioctl(1, TIOCSTI, &c)));
    printf("clone3: %s\n", err(syscall(SYS_clone3, NULL, 0)));
    printf("io_uring: %s\n", err(syscall(SYS_io_uring_setup, 4, NULL)));
    long ret;   /* the same clone through the i386 ABI (int 0x80, clone is 120 there) */
    __asm__ volatile ("int $0x80" : "=a"(ret) : "a"(120L), "b"(0x00800000L | SIGCHLD), "c"(0L), "d"(0L),
                      "S"(0L), "D"(0L) : "memory");
    if (ret == 0) { printf("untraced child\n"); fflush(stdout); _exit(0); }
    printf("i386 clone: %ld\n", ret);
    pthread_t t;
    printf("pthread: %s\n", pthread_create(&t, NULL, thread, NULL) == 0 && pthread_join(t, NULL) == 0 ? "ok" : "failed");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) { printf("forked child\n"); return 0; }
    waitpid(pid, NULL, 0);
    return 0;
}
"""
THREADS_PY = """
import threading
done = []
ts = [threading.Thread(target=done.append, args=(i,)) for i in range(3)]
[t.start() for t in ts]; [t.join() for t in ts]
print("threads", len(done))
"""


@pytest.mark.parametrize("mode", ["pipe", "pty"])
def test_escapes_from_the_tracer_are_refused_and_threads_still_start(docker_sandbox, tmp_path, mode):
    from grader.trace import parse_trace

    (tmp_path / "esc.c").write_text(ESCAPES_C)
    (tmp_path / "threads.py").write_text(THREADS_PY)
    result = docker_sandbox.run(
        tmp_path, [RunRequest(name="c", command=("./esc",), stdout_mode=mode),
                   RunRequest(name="py", command=("python3", "threads.py"), stdout_mode=mode)],
        limits=Limits(timeout_ms=5000), build=["gcc", "-pthread", "-o", "esc", "esc.c"])
    assert result.build is not None and result.build.ok, result.build
    [c_run] = result.runs["c"]
    # The filter answers before the tty layer would: EPERM on a pipe and on the pty alike, and on
    # the pty no injected byte reaches the output.
    assert c_run.stdout.decode() == (
        "clone untraced: Operation not permitted\ntiocsti: Operation not permitted\n"
        "clone3: Function not implemented\nio_uring: Operation not permitted\ni386 clone: -1\n"
        "pthread: ok\nforked child\n")
    execution = parse_trace(c_run.trace_text(), stdout_channel=c_run.stdout_channel)
    assert len(execution.processes()) == 2, "the fork is traced (strace --seccomp-bpf still works)"
    assert any(not t.is_process for t in execution.tasks.values()), "the thread is traced"
    [py_run] = result.runs["py"]
    assert py_run.stdout.strip() == b"threads 3", py_run.stderr
    py_exec = parse_trace(py_run.trace_text(), stdout_channel=py_run.stdout_channel)
    assert len([t for t in py_exec.tasks.values() if not t.is_process]) == 3


# ----------------------------------------------------------------- cleanup between runs (issue 18.5, 18.6)

DEEP_AND_QUEUES = r"""
import ctypes, os, sys
seen = [p for p in ("/work/deep", "/tmp/deep", "/dev/shm/deep", "/work/marker") if os.path.exists(p)]
seen += ["/dev/mqueue/" + q for q in os.listdir("/dev/mqueue")]
print("LEFTOVER" if seen else "clean", *seen, flush=True)
for top in ("/work/deep", "/tmp/deep", "/dev/shm/deep"):
    os.mkdir(top)
    os.chdir(top)
    for _ in range(1100):                       # deeper than any recursive walk in Python goes
        os.mkdir("d")                           # (by chdir: strace -y would print each whole path)
        os.chdir("d")
    os.close(os.open("marker", os.O_CREAT | os.O_WRONLY, 0o000))
    os.chmod(".", 0o000)                        # the deepest folder: no access, even for its owner
    os.chdir("/work")
open("marker", "w").write("x")
libc = ctypes.CDLL(None, use_errno=True)
libc.mq_open.restype = ctypes.c_int
class Attr(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_long), ("maxmsg", ctypes.c_long), ("msgsize", ctypes.c_long),
                ("curmsgs", ctypes.c_long), ("pad", ctypes.c_long * 4)]
attr = Attr(0, 8, 64, 0)
q = libc.mq_open(b"/grows", os.O_CREAT | os.O_RDWR, 0o600, ctypes.byref(attr))
assert q >= 0, ctypes.get_errno()
libc.mq_send(q, b"one more", 8, 0)
libc.mq_open(b"/locked", os.O_CREAT | os.O_RDWR, 0o000, None)
print(open("/dev/mqueue/grows").read().split()[0], flush=True)
"""


def test_deep_folders_and_message_queues_are_wiped_between_runs(docker_sandbox, tmp_path):
    """1100 nested folders (the innermost mode 000) in /work, /tmp and /dev/shm, and POSIX message
    queues: every one of 6 runs starts clean, and the queue never grows past one message."""
    (tmp_path / "deep.py").write_text(DEEP_AND_QUEUES)
    records = docker_sandbox.run(tmp_path, [RunRequest(name="d", command=("python3", "deep.py"), repeat=6)],
                                 limits=Limits(timeout_ms=10000)).runs["d"]
    assert len(records) == 6
    for record in records:
        assert record.internal_error is None, record.internal_error
        assert record.stdout == b"clean\nQSIZE:8\n", (record.stdout, record.stderr[-300:])


def test_a_wipe_that_does_not_finish_fails_the_run_and_the_rest_get_fresh_containers(docker_sandbox, tmp_path):
    """The harness's test hook leaves a root-owned file in /tmp after each run (one the student
    cannot remove). The run after it fails loudly; every later run gets a container of its own."""
    from grader.sandbox.docker_sandbox import DockerSandbox

    (tmp_path / "host.py").write_text(
        "import os, socket; print(socket.gethostname(), os.path.exists('/tmp/.root-owned'))\n")
    sandbox = DockerSandbox(sweep=False)
    sandbox.test_faults = {"root_file_in_tmp": True}
    records = sandbox.run(tmp_path, [RunRequest(name="h", command=("python3", "host.py"), repeat=4)],
                          limits=Limits(timeout_ms=3000)).runs["h"]
    assert [r.repeat_index for r in records] == [0, 1, 2, 3]
    first, failed, *fresh = records
    assert first.internal_error is None and first.stdout.endswith(b" False\n")
    assert failed.internal_error and "/tmp still holds 1 entry ('.root-owned')" in failed.internal_error
    assert failed.stdout == b""
    hosts = {first.stdout.split()[0]}
    for record in fresh:
        assert record.internal_error is None and record.stdout.endswith(b" False\n"), record
        hosts.add(record.stdout.split()[0])
    assert len(hosts) == 3, "each run after the failed wipe ran in a container of its own"


# ----------------------------------------------------------------- the sweep (issue 18.10)

def test_the_sweep_removes_only_this_hosts_dead_graders_containers(docker_sandbox):
    """A running sandbox labelled for another host is never removed; one of this host whose grader
    is gone is; an unlabelled-owner one only once it has stopped."""
    import socket
    import subprocess
    import sys

    from grader.sandbox.engine import LABEL, OWNER_LABEL

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    client = docker_sandbox.engine._client
    def start(labels, command=("sleep", "120")):
        return client.containers.run(docker_sandbox.image, list(command), detach=True, network_mode="none",
                                     labels={LABEL: "1", **labels})
    other = start({OWNER_LABEL: "another-grader-host:1"})
    other_exited = start({OWNER_LABEL: "another-grader-host:2"}, ("true",))
    dead = start({OWNER_LABEL: f"{socket.gethostname()}:{gone.pid}"})
    legacy_running = start({})
    legacy_exited = start({}, ("true",))
    containers = [other, other_exited, dead, legacy_running, legacy_exited]
    try:
        for c in (other_exited, legacy_exited):
            c.wait()
        docker_sandbox.engine.sweep()
        left = {c.id for c in docker_sandbox.engine.labelled()}
        assert other.id in left and other_exited.id in left, "another host's sandboxes are not ours"
        assert legacy_running.id in left
        assert dead.id not in left and legacy_exited.id not in left
    finally:
        for c in containers:
            try:
                c.remove(force=True)
            except Exception:  # noqa: BLE001 - removed by the sweep already
                pass
