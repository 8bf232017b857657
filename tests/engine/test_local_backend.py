"""The `local` sandbox backend, inside a Gradescope-like container on the real engine.

The container has no Docker engine, no network and only the capabilities a grading container
has; the grader is installed in it from the autograder zip's wheels by setup.sh, offline. Each
test drives the real LocalSandbox there (the same harness.py as the Docker backend) and reads
the facts it reports back as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradescope_like import GradescopeLike

from grader.platforms.gradescope import build_package
from grader.sandbox.local import HARNESS_TASKS
from grader.sandbox.select import FORCE_FLAG

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]

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
    "sleep.py": "import time; time.sleep(1000)\n",
    "exits.py": "import os, sys\nif os.fork() == 0:\n    os._exit(0)\nos.wait()\nprint('bye', flush=True)\nsys.exit(3)\n",
    "segv.py": "import ctypes\nctypes.string_at(0)\n",
    "flood.py": """
        import sys
        block = b"y" * 65536
        for _ in range(1600):  # 100 MiB
            sys.stdout.buffer.write(block)
    """,
    "loop.py": "while True: pass\n",
    "bomb.py": """
        import os
        while True:
            try: os.fork()
            except OSError: pass
    """,
    "hog.py": """
        chunks = []
        while True: chunks.append(bytearray(16 * 2**20))
    """,
    "netns.py": """
        import os, socket
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname()).close()
        names = sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:])
        size = os.statvfs("/work")
        print("interfaces", *names)
        print("work-mib", size.f_blocks * size.f_frsize // 2**20)
    """,
    "peek.py": """
        import os, signal
        for path in ("/grader/plan.json", "/grader/out", "/trace", "/autograder/source"):
            try:
                os.listdir(path) if os.path.isdir(path) else open(path).read()
                print("read", path)
            except OSError as exc:
                print("denied", path, exc.errno)
        for pid in os.listdir("/proc"):
            if pid.isdigit() and os.stat(f"/proc/{pid}").st_uid == 0:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                    print("killed", pid)
                except OSError:
                    pass
    """,
    "daemon.py": """
        import os, time
        def cmdline(pid):
            try:
                return open(f"/proc/{pid}/cmdline", "rb").read()
            except OSError:
                return b""
        mine = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()
                and os.stat(f"/proc/{p}").st_uid == os.getuid() and b"daemon.py" in cmdline(p)]
        prior = os.path.exists("/tmp/daemon-was-here")
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                open("/tmp/daemon-was-here", "w").write("x")
                time.sleep(1000)
            os._exit(0)
        os.wait()
        for _ in range(500):
            if os.path.exists("/tmp/daemon-was-here"):
                break
            time.sleep(0.01)
        print("prior-file" if prior else "no-prior-file", f"others={len(mine)}",
              "started" if os.path.exists("/tmp/daemon-was-here") else "not-started")
    """,
}

# Runs inside the container with the grader the zip installed.
DRIVER = """
import json, sys
sys.path.insert(0, "/autograder/source/pylib")
from pathlib import Path
from grader.sandbox.local import LocalSandbox
from grader.sandbox.records import Limits, RunRequest
from grader.trace import parse_trace

requests, limits = json.loads(sys.argv[1]), Limits(**json.loads(sys.argv[2]))
sandbox = LocalSandbox(tracer=sys.argv[3] if len(sys.argv) > 3 else None)
result = sandbox.run(Path("/srv/programs"), [RunRequest(name=r["name"], command=tuple(r["command"]),
                     repeat=r.get("repeat", 1)) for r in requests], limits=limits)
out = {"limits_in_force": result.limits_in_force, "internal_error": result.internal_error, "runs": {}}
for name, records in result.runs.items():
    out["runs"][name] = []
    for rec in records:
        ex = parse_trace(rec.trace_text(), stdout_channel=rec.stdout_channel, stderr_channel=rec.stderr_channel,
                         truncated=rec.trace_truncated)
        out["runs"][name].append({
            "exit_code": rec.exit_code, "signal": rec.signal, "timed_out": rec.timed_out,
            "wall_ms": rec.wall_ms, "stopped_for": rec.stopped_for, "pids_limit_hit": rec.pids_limit_hit,
            "stdout": rec.stdout.decode("utf-8", "replace"), "internal_error": rec.internal_error,
            "stderr": rec.stderr.decode("utf-8", "replace")[-2000:], "stdout_total": rec.stdout_total, "output_limit_hit": rec.output_limit_hit,
            "processes": len(ex.processes()), "image_id": rec.image_id,
            "programs": [e.path for task in ex.processes() for e in task.execs],
        })
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package") / "autograder.zip"
    build_package(ROOT / "assignments" / "fork-hello" / "assignment.yaml", out)
    return out


def _prepared(zip_path: Path, *, hide_container: bool = False) -> GradescopeLike:
    box = GradescopeLike(hide_container=hide_container)
    setup = box.install(zip_path)
    assert setup.code == 0, setup.stdout + setup.stderr
    box.put("/srv/programs", {name: textwrap.dedent(src).encode() for name, src in PROGRAMS.items()})
    return box


@pytest.fixture(scope="module")
def box(autograder_zip: Path) -> Iterator[GradescopeLike]:
    container = _prepared(autograder_zip)
    try:
        yield container
    finally:
        container.remove()


def run_local(box: GradescopeLike, requests: list[dict[str, Any]], tracer: str = "auto", **limits: Any) -> dict[str, Any]:
    done = box.exec(["python3", "-I", "-c", DRIVER, json.dumps(requests), json.dumps(limits), tracer])
    assert done.code == 0, done.stdout + done.stderr
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert data["internal_error"] is None, data
    return data


def test_fork_three_is_traced(box: GradescopeLike) -> None:
    data = run_local(box, [{"name": "fork", "command": ["python3", "fork3.py"], "repeat": 2}], timeout_ms=5000)
    runs = data["runs"]["fork"]
    assert len(runs) == 2
    for run in runs:
        assert run["exit_code"] == 0 and not run["timed_out"]
        assert run["stdout"].splitlines() == ["hello os"] * 3
        assert run["processes"] == 3          # the trace shows the two forks, not only the output
        assert run["image_id"].startswith("local:")
    # What this container allows, said plainly: no writable cgroup, no unshare, no mount.
    forced = data["limits_in_force"]
    assert "RLIMIT_NPROC" in forced["tasks"] and "RLIMIT_DATA" in forced["memory"]
    assert forced["network"].startswith("not isolated") and forced["cpu"].startswith("not enforced")


def test_sleep_and_loop_are_killed_at_the_wall_limit(box: GradescopeLike) -> None:
    data = run_local(box, [{"name": "sleep", "command": ["python3", "sleep.py"]},
                           {"name": "loop", "command": ["python3", "loop.py"]}], timeout_ms=1500)
    for name in ("sleep", "loop"):
        (run,) = data["runs"][name]
        assert run["timed_out"] and run["stopped_for"] == "timeout", run
        assert run["signal"] == "SIGKILL"
        assert 1500 <= run["wall_ms"] < 4500, run


def test_fork_bomb_is_stopped_by_the_task_limit(box: GradescopeLike) -> None:
    data = run_local(box, [{"name": "bomb", "command": ["python3", "bomb.py"]},
                           {"name": "after", "command": ["python3", "fork3.py"]}], timeout_ms=2000, pids=16)
    (bomb,) = data["runs"]["bomb"]
    assert bomb["pids_limit_hit"], bomb      # RLIMIT_NPROC refused forks: the trace shows EAGAIN
    assert bomb["processes"] <= 16 + HARNESS_TASKS   # the uid's limit: the program's 16 + the harness's wipe
    (after,) = data["runs"]["after"]         # nothing of the bomb is left for the next run
    assert after["exit_code"] == 0 and after["processes"] == 3


def test_a_memory_hog_is_stopped_by_the_per_process_limit(box: GradescopeLike) -> None:
    # No writable cgroup here: RLIMIT_DATA (memory + pids x 8 MiB per process) refuses the allocation.
    data = run_local(box, [{"name": "hog", "command": ["python3", "hog.py"]}], timeout_ms=10_000,
                     memory_bytes=64 * 2**20, pids=8)
    (run,) = data["runs"]["hog"]
    assert run["exit_code"] == 1 and not run["timed_out"], run
    assert "MemoryError" in run["stderr"], run["stderr"]
    assert run["wall_ms"] < 5000


def test_an_output_flood_is_capped_and_stopped(box: GradescopeLike) -> None:
    data = run_local(box, [{"name": "flood", "command": ["python3", "flood.py"]}], timeout_ms=10_000,
                     output_bytes=64 * 1024)
    (run,) = data["runs"]["flood"]
    assert run["output_limit_hit"] and run["stopped_for"] == "output", run
    assert len(run["stdout"]) == 64 * 1024
    assert run["stdout_total"] < 100 * 2**20     # stopped, not left to write all 100 MiB
    assert run["wall_ms"] < 5000


LIBRARY = ("fork-hello", "pipe-message")


def test_validate_with_local_gives_the_same_table_as_with_docker(box: GradescopeLike) -> None:
    files: dict[str, bytes] = {}
    for name in LIBRARY:
        folder = ROOT / "assignments" / name
        for path in folder.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files[f"{name}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    box.put("/srv/library", files)
    local = box.exec(["grader", "validate", "--sandbox", "local",
                      *(f"/srv/library/{name}/assignment.yaml" for name in LIBRARY)])
    docker = subprocess.run([sys.executable, "-m", "grader.cli", "validate", "--sandbox", "docker",
                             *(str(ROOT / "assignments" / name / "assignment.yaml") for name in LIBRARY)],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert docker.returncode == 0, docker.stdout + docker.stderr
    assert local.code == 0, local.stdout + local.stderr
    assert local.stdout == docker.stdout


def test_student_cannot_read_the_trace_or_kill_the_grader(box: GradescopeLike) -> None:
    box.exec(["chmod", "700", "/autograder", "/autograder/source"])   # run_autograder does this
    data = run_local(box, [{"name": "peek", "command": ["python3", "peek.py"]}], timeout_ms=3000)
    (run,) = data["runs"]["peek"]
    lines = run["stdout"].splitlines()
    assert all(not line.startswith(("read", "killed")) for line in lines), lines
    assert sum(line.startswith("denied") for line in lines) == 4


def test_a_double_forked_daemon_does_not_survive_into_the_next_repeat(box: GradescopeLike) -> None:
    data = run_local(box, [{"name": "daemon", "command": ["python3", "daemon.py"], "repeat": 2}], timeout_ms=3000)
    first, second = data["runs"]["daemon"]
    assert first["stdout"].split() == ["no-prior-file", "others=0", "started"]
    # The first run's daemon was killed and /tmp wiped before the second run began.
    assert second["stdout"].split() == ["no-prior-file", "others=0", "started"]
    leftovers = box.exec(["sh", "-c", "ps -eo uid= | grep -c '^ *1000$' || true"])
    assert leftovers.stdout.strip() == "0"


def test_where_the_container_allows_it_network_and_scratch_are_private(autograder_zip: Path) -> None:
    # A container with a network and the capabilities to unshare and mount (not Gradescope's case):
    # the program then sees only a loopback of its own and a size-limited tmpfs /work.
    roomy = GradescopeLike(extra_caps=("SYS_ADMIN", "NET_ADMIN"), network="bridge")
    try:
        setup = roomy.install(autograder_zip)
        assert setup.code == 0, setup.stdout + setup.stderr
        roomy.put("/srv/programs", {"netns.py": textwrap.dedent(PROGRAMS["netns.py"]).encode()})
        assert "eth0" in roomy.exec(["cat", "/proc/net/dev"]).stdout          # the container has one
        data = run_local(roomy, [{"name": "netns", "command": ["python3", "netns.py"]}], timeout_ms=5000,
                         tmpfs_bytes=32 * 2**20)
        (run,) = data["runs"]["netns"]
        assert run["exit_code"] == 0, run
        assert run["stdout"].splitlines() == ["interfaces lo", "work-mib 32"]
        assert data["limits_in_force"]["network"] == "private namespace, loopback only"
        assert data["limits_in_force"]["scratch space"].startswith("tmpfs of 33554432 bytes")
        assert " /work " not in roomy.exec(["cat", "/proc/mounts"]).stdout    # unmounted after the session
    finally:
        roomy.remove()


def test_local_refuses_outside_a_container_without_the_flag(autograder_zip: Path) -> None:
    bare = _prepared(autograder_zip, hide_container=True)
    try:
        sub = "/srv/programs"
        refused = bare.exec(["grader", "trace", "--sandbox", "local", sub, "--", "python3", "fork3.py"])
        assert refused.code == 2, refused
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and FORCE_FLAG in lines[0], lines
        assert "not look like a disposable container" in lines[0]
        # auto finds no engine and no container: it refuses too, rather than run the program here
        auto = bare.exec(["grader", "trace", "--sandbox", "auto", sub, "--", "python3", "fork3.py"])
        assert auto.code == 4 and "no sandbox available" in auto.stderr, auto    # no engine: the machine's (4)
        forced = bare.exec(["grader", "trace", "--sandbox", "local", FORCE_FLAG, sub, "--", "python3", "fork3.py"])
        assert forced.code == 0, forced
        assert "3 processes" in forced.stdout and "stdout: 3 lines" in forced.stdout
    finally:
        bare.remove()


def _library(box: GradescopeLike, names: tuple[str, ...]) -> None:
    files: dict[str, bytes] = {}
    for name in names:
        folder = ROOT / "assignments" / name
        for path in folder.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files[f"{name}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    box.put("/srv/library", files)


def test_without_sys_ptrace_strace_attaches_before_the_uid_drops(box: GradescopeLike, autograder_zip: Path) -> None:
    # PrairieLearn's hosted graders give the container no CAP_SYS_PTRACE: `strace -u` is refused there. The
    # experimental tracer="attach" (chosen by hand only) attaches strace while the program is still root.
    bare = GradescopeLike(without=("SYS_PTRACE",))
    try:
        setup = bare.install(autograder_zip)
        assert setup.code == 0, setup.stdout + setup.stderr
        bare.put("/srv/programs", {name: textwrap.dedent(src).encode() for name, src in PROGRAMS.items()})
        refused = bare.exec(["strace", "-f", "-q", "-o", "/dev/null", "-u", "nobody", "--", "/bin/true"])
        assert refused.code != 0 and "Operation not permitted" in refused.stderr, refused
        requests = [{"name": "fork", "command": ["python3", "fork3.py"]},
                    {"name": "exits", "command": ["python3", "exits.py"]},
                    {"name": "segv", "command": ["python3", "segv.py"]},
                    {"name": "sleep", "command": ["python3", "sleep.py"]}]
        # auto stays with `strace -u` and refuses, saying the capability is missing.
        refused_auto = bare.exec(["python3", "-I", "-c", DRIVER, json.dumps(requests), json.dumps({}), "auto"])
        assert refused_auto.code != 0 and "SYS_PTRACE capability, and CapEff shows it is missing" in refused_auto.stderr
        attached = run_local(bare, requests, tracer="attach", timeout_ms=2000)
        assert attached["limits_in_force"]["tracing"].startswith("strace attached while the program was still root")
        assert "no CAP_SYS_PTRACE" in attached["limits_in_force"]["tracing"]
        started = run_local(box, requests, timeout_ms=2000)     # the same programs with the capability
        assert started["limits_in_force"]["tracing"].startswith("strace -u")
        for data in (attached, started):
            (fork,) = data["runs"]["fork"]
            assert fork["exit_code"] == 0 and fork["stdout"].splitlines() == ["hello os"] * 3
            assert fork["processes"] == 3, fork
            # The trace starts at the program's own exec, its arguments read: none of the launcher's lines.
            assert len(fork["programs"]) == 1 and fork["programs"][0].startswith("/usr/bin/python3"), fork
            (exits,) = data["runs"]["exits"]
            assert (exits["exit_code"], exits["signal"], exits["stdout"]) == (3, None, "bye\n"), exits
            assert exits["processes"] == 2
            (segv,) = data["runs"]["segv"]
            assert (segv["exit_code"], segv["signal"]) == (None, "SIGSEGV"), segv
            (sleep,) = data["runs"]["sleep"]
            assert sleep["timed_out"] and sleep["signal"] == "SIGKILL", (sleep, sleep["stderr"])
        # Graded: the reference passes and every faulty solution fails what it declares, as with the capability.
        _library(bare, ("fork-hello",))
        _library(box, ("fork-hello",))
        # TMPDIR: the grader's own scratch out of the student's /tmp (as LocalSandbox sets it once it exists).
        without = bare.exec(["grader", "validate", "--sandbox", "local", "/srv/library/fork-hello/assignment.yaml"],
                            env={"GRADER_LOCAL_TRACER": "attach", "TMPDIR": "/var/tmp"})
        with_cap = box.exec(["grader", "validate", "--sandbox", "local", "/srv/library/fork-hello/assignment.yaml"],
                            env={"TMPDIR": "/var/tmp"})
        assert with_cap.code == 0, with_cap.stdout + with_cap.stderr
        assert without.code == 0, without.stdout + without.stderr
        assert without.stdout == with_cap.stdout
        assert " ok " in without.stdout and "FAIL" not in without.stdout
        # Nothing of the launcher or of strace is left running as the student or as root.
        left = bare.exec(["sh", "-c", "ps -eo comm= | grep -c -E '^(strace|sed)$' || true"])
        assert left.stdout.strip() == "0"
    finally:
        bare.remove()
