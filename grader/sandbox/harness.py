"""In-container harness: runs a submission's build and runs under strace as an unprivileged user.

Runs as root inside the sandbox container (started as `python3 -I -S harness.py PLAN`),
with only SETUID, SETGID, SYS_PTRACE and DAC_READ_SEARCH. Standard library only: the
image's python3 runs it. It never reads anything the student's program wrote as an
instruction: the program's stdout/stderr are captured as bytes, the trace comes from
strace through a FIFO in a root-only directory, and results go to /grader/out, a
host directory the student cannot reach.

Layout inside the container:
    /grader          host dir, mode 0700 root: harness.py, plan.json, out/
    /submission      the submission, read-only
    /work            tmpfs, the program's working directory (owned by the student)
    /pristine        tmpfs, root-owned snapshot of /work after the build
    /trace           tmpfs, mode 0700 root: the strace FIFO
    /tmp, /dev/shm   tmpfs, wiped between runs
"""

from __future__ import annotations

import base64
import errno
import json
import os
import pty
import resource
import select
import shutil
import signal
import subprocess
import sys
import termios
import time

PLAN_PATH = sys.argv[1] if len(sys.argv) > 1 else "/grader/plan.json"
OUT = "/grader/out"
WORK = "/work"
PRISTINE = "/pristine"
TRACE_DIR = "/trace"
SCRATCH_DIRS = ("/work", "/tmp", "/dev/shm")
POLL_S = 0.02


def now_ms() -> int:
    return int(time.monotonic() * 1000)


def write_json(name: str, data: object) -> None:
    """Write atomically, so the host never reads half a record."""
    tmp = os.path.join(OUT, f".{name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, os.path.join(OUT, name))


def as_student(plan: dict, fn, *args) -> int:
    """Run fn(*args) in a forked child that has become the student; return its exit status."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setgid(plan["gid"])
            os.setuid(plan["uid"])
            os.umask(0o022)
            code = fn(*args) or 0
        except BaseException as exc:  # noqa: BLE001 - a forked child reports and leaves, whatever happened
            try:
                sys.stderr.write(f"harness child: {exc!r}\n")
            except Exception:  # noqa: BLE001 - stderr may be gone; the exit code still says it failed
                pass
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


NOT_STUDENT: set[int] = set()   # the killer runs with the student's euid but is ours


def student_pids(uid: int) -> list[int]:
    """Live (not zombie) processes of the student's uid."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in NOT_STUDENT:
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            pids.append(int(entry))
    return pids


class Killer:
    """A process started before any student code that can SIGKILL the student's uid.

    Root without CAP_KILL may not signal another uid, and a fork bomb leaves no pid
    to fork a killer when one is needed. So one is forked up front with real uid
    KILLER_UID and effective uid = the student's: it may signal the student's
    processes (its euid matches their uid) but they may not signal it (their uid
    matches neither its real nor its saved uid).
    """

    def __init__(self, plan: dict) -> None:
        self.uid = plan["uid"]
        self.pending = False
        self.req_r, self.req_w = os.pipe()
        self.ack_r, self.ack_w = os.pipe()
        self.pid = os.fork()
        NOT_STUDENT.add(self.pid or os.getpid())
        if self.pid == 0:
            try:
                os.close(self.req_w)
                os.close(self.ack_r)
                os.setgroups([])
                os.setresgid(plan["killer_uid"], plan["gid"], plan["killer_uid"])
                os.setresuid(plan["killer_uid"], plan["uid"], plan["killer_uid"])
                while os.read(self.req_r, 1):
                    deadline = time.monotonic() + 5
                    rounds = 0
                    while student_pids(self.uid) and time.monotonic() < deadline:
                        # SIGKILL alone first: a task blocked in a call dies inside it, and the trace
                        # shows where it hung. SIGSTOP would interrupt that call and hide it. Only
                        # what survives a few rounds (a fork bomb refilling) is stopped, then killed.
                        for sig in (signal.SIGSTOP, signal.SIGKILL) if rounds >= 3 else (signal.SIGKILL,):
                            try:
                                os.kill(-1, sig)
                            except OSError:
                                pass
                        rounds += 1
                        time.sleep(0.002)
                    os.write(self.ack_w, b"k")
            finally:
                os._exit(0)
        os.close(self.req_r)
        os.close(self.ack_w)

    def request(self) -> None:
        """Ask for a kill without waiting: the caller keeps draining the program's pipes meanwhile,
        or a tracer blocked on a full trace pipe would keep its tasks from dying."""
        if not self.pending:
            os.write(self.req_w, b"K")
            self.pending = True

    def acknowledged(self) -> None:
        os.read(self.ack_r, 1)
        self.pending = False

    def kill_all(self) -> None:
        if not self.pending and not student_pids(self.uid):
            return
        self.request()
        self.acknowledged()


KILLER: Killer | None = None


def kill_student(plan: dict) -> None:
    """SIGKILL every live process of the student's uid."""
    assert KILLER is not None
    KILLER.kill_all()


def _wipe_dir(path: str) -> None:
    for name in os.listdir(path):
        full = os.path.join(path, name)
        try:
            if os.path.isdir(full) and not os.path.islink(full):
                for root, dirs, _files in os.walk(full):
                    for d in dirs:
                        try:
                            os.chmod(os.path.join(root, d), 0o700)
                        except OSError:
                            pass
                os.chmod(full, 0o700)
                shutil.rmtree(full, ignore_errors=True)
            else:
                os.unlink(full)
        except OSError:
            pass


def _clean_scratch() -> None:
    for path in SCRATCH_DIRS:
        if os.path.isdir(path):
            _wipe_dir(path)
    # SysV IPC objects the student made (POSIX shm lives in /dev/shm, wiped above). By id, from
    # /proc/sysvipc: `ipcrm --all` skips objects whose mode denies reading their status.
    for table, flag in (("shm", "-m"), ("sem", "-s"), ("msg", "-q")):
        try:
            with open(f"/proc/sysvipc/{table}", encoding="ascii") as fh:
                ids = [line.split()[1] for line in fh.readlines()[1:] if len(line.split()) > 1]
        except OSError:
            continue
        for ident in ids:
            subprocess.run(["ipcrm", flag, ident], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)


def _copy_in(src: str) -> None:
    for name in os.listdir(src):
        s, d = os.path.join(src, name), os.path.join(WORK, name)
        if os.path.isdir(s) and not os.path.islink(s):
            shutil.copytree(s, d, symlinks=True)
        else:
            shutil.copy2(s, d, follow_symlinks=False)


def _clean_and_copy(source: str) -> None:
    _clean_scratch()
    _copy_in(source)


def reset_work(plan: dict, source: str) -> None:
    """Kill leftovers, wipe scratch space and SysV IPC, lay the submission out afresh (one fork)."""
    kill_student(plan)
    as_student(plan, _clean_and_copy, source)


def snapshot_work() -> None:
    """Copy the built /work to the root-owned /pristine, out of the program's reach."""
    for name in os.listdir(WORK):
        s, d = os.path.join(WORK, name), os.path.join(PRISTINE, name)
        try:
            if os.path.isdir(s) and not os.path.islink(s):
                shutil.copytree(s, d, symlinks=True)
            else:
                shutil.copy2(s, d, follow_symlinks=False)
        except OSError:
            continue


def cgroup_counter(kind: str) -> int:
    """Read an event counter of this container's cgroup: 'oom_kill' or 'pids_max'."""
    candidates = {
        "oom_kill": [("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill"),
                     ("/sys/fs/cgroup/memory.events", "oom_kill")],
        "pids_max": [("/sys/fs/cgroup/pids/pids.events", "max"),
                     ("/sys/fs/cgroup/pids.events", "max")],
    }[kind]
    for path, key in candidates:
        try:
            with open(path, encoding="ascii") as fh:
                for line in fh:
                    parts = line.split()
                    if len(parts) == 2 and parts[0] == key:
                        return int(parts[1])
        except OSError:
            continue
    return 0


def snapshot_tasks(uid: int) -> list[dict]:
    """What each of the student's tasks was doing, read just before the kill."""
    out = []
    for pid in student_pids(uid):
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            base = f"/proc/{pid}/task/{tid}"
            entry: dict = {"tid": int(tid), "tgid": pid}
            try:
                with open(f"{base}/stat", encoding="utf-8", errors="replace") as fh:
                    stat = fh.read()
                entry["state"] = stat[stat.rfind(")") + 2:].split()[0]
                entry["comm"] = stat[stat.find("(") + 1:stat.rfind(")")]
            except (OSError, IndexError):
                pass
            for name in ("wchan", "syscall"):
                try:
                    with open(f"{base}/{name}", encoding="ascii", errors="replace") as fh:
                        entry[name] = fh.read().strip()
                except OSError:
                    pass
            out.append(entry)
    return out


def student_env(plan: dict) -> dict[str, str]:
    return dict(plan["env"])


def process_ended(pid: int) -> bool:
    """True once `pid` has exited (gone, or a zombie waiting for its tracer/parent)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def resolve(command: list[str], env: dict[str, str]) -> str | None:
    """The real path of the program inside the image (no shims), or None if not found."""
    prog = command[0]
    if "/" in prog:
        path = prog if os.path.isabs(prog) else os.path.join(WORK, prog)
        return path if os.path.exists(path) else None
    found = shutil.which(prog, path=env.get("PATH", "/usr/bin:/bin"))
    return os.path.realpath(found) if found else None


def limit_child(plan: dict) -> None:
    """preexec for strace: limits the traced program inherits (strace writes to a FIFO, not a file)."""
    limits = plan["limits"]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nofile = max(32, int(limits["open_files"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    fsize = int(limits["file_bytes"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    try:  # the program, not the tracer, is what the OOM killer should pick
        with open("/proc/self/oom_score_adj", "w", encoding="ascii") as fh:
            fh.write("1000")
    except OSError:
        pass
    os.setsid()


class Capture:
    """Bytes from one stream, kept up to a cap and counted beyond it."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept = bytearray()
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.cap - len(self.kept)
        if room > 0:
            self.kept += data[:room]

    @property
    def over(self) -> bool:
        return self.total > self.cap


def run_once(plan: dict, request: dict, index: int, out_name: str) -> dict:
    limits = plan["limits"]
    env = student_env(plan)
    command = list(request["command"])
    record: dict = {
        "name": request["name"], "repeat_index": index, "command": command,
        "stdout_mode": request.get("stdout_mode", "pipe"),
    }
    real = resolve(command, env)
    if real is None:
        record["start_failed"] = f"command {command[0]!r} was not found in the sandbox"
        record["exit_code"] = 127
        return record

    trace_on = bool(request.get("trace", True))
    fifo = os.path.join(TRACE_DIR, f"trace-{out_name}")
    trace_path = os.path.join(OUT, f"{out_name}.trace")
    if trace_on:
        os.mkfifo(fifo, 0o600)
        trace_fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    else:
        trace_fd = -1
    argv = [real, *command[1:]]
    if trace_on:
        argv = ["strace", *plan["strace_args"], "-o", fifo, "-u", plan["user"], "--", *argv]
    else:
        argv = ["setpriv", f"--reuid={plan['uid']}", f"--regid={plan['gid']}", "--clear-groups", "--", *argv]

    stdout_mode = request.get("stdout_mode", "pipe")
    if stdout_mode == "pty":
        master, slave = pty.openpty()
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.OPOST  # no \n -> \r\n: the bytes stay the program's own
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        out_r, out_w = master, slave
    else:
        out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe()
    record["stdout_channel"] = (f"pipe:[{os.fstat(out_w).st_ino}]" if stdout_mode == "pipe"
                                else os.ttyname(out_w))
    record["stderr_channel"] = f"pipe:[{os.fstat(err_w).st_ino}]"

    oom_before = cgroup_counter("oom_kill")
    pids_before = cgroup_counter("pids_max")
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = now_ms()
    try:
        proc = subprocess.Popen(
            argv, stdin=in_r, stdout=out_w, stderr=err_w, cwd=WORK, env=env,
            preexec_fn=lambda: limit_child(plan), close_fds=True,  # noqa: PLW1509 - the harness has no threads
        )
    except OSError as exc:
        for fd in (out_r, out_w, err_r, err_w, in_r, in_w):
            os.close(fd)
        if trace_fd >= 0:
            os.close(trace_fd)
        record["start_failed"] = f"could not start {command[0]!r}: {exc.strerror}"
        record["exit_code"] = 126
        return record
    os.close(out_w)
    os.close(err_w)
    os.close(in_r)

    stdin_data = base64.b64decode(request.get("stdin_b64", "") or "")
    stdin_view = memoryview(stdin_data)
    if not stdin_data:
        os.close(in_w)
        in_w = -1
    else:
        os.set_blocking(in_w, False)

    out_cap = Capture(int(limits["output_bytes"]))
    err_cap = Capture(int(limits["output_bytes"]))
    trace_cap = int(limits["trace_bytes"])
    trace_total = 0
    trace_truncated = False
    trace_file = open(trace_path, "wb") if trace_on else None
    streams: dict[int, Capture | None] = {out_r: out_cap, err_r: err_cap}
    if trace_fd >= 0:
        streams[trace_fd] = None
    deadline = started + int(limits["timeout_ms"])
    linger_ms = int(plan.get("linger_ms", 1000))
    root_gone_at: int | None = None
    killed_for: str | None = None
    final_tasks: list[dict] = []
    root_pid: int | None = None

    def stop(reason: str) -> None:
        nonlocal killed_for, final_tasks
        if killed_for is None:
            killed_for = reason
            final_tasks = snapshot_tasks(plan["uid"])
            KILLER.request()

    assert KILLER is not None
    while True:
        watch = list(streams)
        if KILLER.pending:
            watch.append(KILLER.ack_r)
        wfds = [in_w] if in_w >= 0 else []
        try:
            readable, writable, _ = select.select(watch, wfds, [], POLL_S)
        except InterruptedError:
            continue
        for fd in writable:
            try:
                n = os.write(fd, stdin_view[:65536])
                stdin_view = stdin_view[n:]
            except BlockingIOError:
                pass
            except BrokenPipeError:
                stdin_view = stdin_view[:0]  # the program closed its stdin: drop the rest
            if not stdin_view:
                os.close(in_w)
                in_w = -1
        for fd in readable:
            if fd == KILLER.ack_r:
                KILLER.acknowledged()
                continue
            try:
                data = os.read(fd, 1 << 16)
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    continue
                data = b""  # EIO on a pty once every writer is gone
            if not data:
                if fd == trace_fd and proc.poll() is None:
                    continue  # strace not connected yet or between writes
                os.close(fd)
                del streams[fd]
                continue
            cap = streams[fd]
            if cap is None:
                trace_total += len(data)
                if trace_file is not None and not trace_truncated:
                    keep = data[: max(0, trace_cap - (trace_total - len(data)))]
                    trace_file.write(keep)
                    if trace_total > trace_cap:
                        trace_truncated = True
                        stop("trace")
            else:
                cap.feed(data)
                if cap.over:
                    stop("output")
        t = now_ms()
        if killed_for is None and t >= deadline:
            stop("timeout")
        strace_done = proc.poll() is not None
        if strace_done and not streams:
            break
        if root_pid is None:
            kids = student_pids(plan["uid"])
            if kids:
                root_pid = min(kids)
        if root_gone_at is None and (strace_done or (root_pid is not None and process_ended(root_pid))):
            root_gone_at = t
        if root_gone_at is not None and t - root_gone_at > linger_ms:
            # The main process ended; what it left running (or holding a stream open) is stopped.
            stop("linger")
            if strace_done and t - root_gone_at > linger_ms + 500:
                for fd in list(streams):
                    os.close(fd)
                streams.clear()
                break
    returncode = proc.wait()
    ended = now_ms()
    if KILLER.pending:
        KILLER.acknowledged()
    if in_w >= 0:
        os.close(in_w)
    if trace_file is not None:
        trace_file.close()
    if trace_on:
        try:
            os.unlink(fifo)
        except OSError:
            pass
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    record.update({
        "stdout": base64.b64encode(bytes(out_cap.kept)).decode("ascii"),
        "stderr": base64.b64encode(bytes(err_cap.kept)).decode("ascii"),
        "stdout_total": out_cap.total, "stderr_total": err_cap.total,
        "stdout_truncated": out_cap.over, "stderr_truncated": err_cap.over,
        "wall_ms": ended - started,
        "cpu_ms": int(((usage.ru_utime - usage_before.ru_utime) + (usage.ru_stime - usage_before.ru_stime)) * 1000),
        "timed_out": killed_for == "timeout",
        "output_limit_hit": out_cap.over or err_cap.over,
        "oom_killed": cgroup_counter("oom_kill") > oom_before,
        "pids_limit_hit": cgroup_counter("pids_max") > pids_before,
        "trace_truncated": trace_truncated,
        "final_tasks": final_tasks,
        "stopped_for": killed_for,
    })
    if returncode < 0:
        record["signal"] = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else f"SIG{-returncode}"
        record["exit_code"] = None
    else:
        record["exit_code"] = returncode
    return record


def _run_build(command: list[str], env: dict[str, str], out_path: str, timeout_s: float, cap: int) -> int:
    try:
        proc = subprocess.Popen(command, cwd=WORK, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        data, code = f"could not run {command[0]!r}: {exc.strerror}\n".encode(), 127
    else:
        try:
            data, _ = proc.communicate(timeout=timeout_s)
            code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
        except subprocess.TimeoutExpired:
            proc.kill()
            data, _ = proc.communicate()
            code = 124
    with open(out_path, "wb") as out:
        out.write(data[:cap])
    return code


def build(plan: dict) -> dict:
    command = plan["build"]
    env = student_env(plan)
    log = "/tmp/.build-output"
    started = now_ms()
    status = as_student(plan, _run_build, command, env, log, plan["build_timeout_ms"] / 1000,
                        int(plan["limits"]["output_bytes"]))
    try:
        with open(log, "rb") as fh:
            output = fh.read()
    except OSError:
        output = b""
    return {
        "command": command,
        "exit_code": status,
        "output": base64.b64encode(output).decode("ascii"),
        "wall_ms": now_ms() - started,
        "timed_out": status == 124,
    }


def main() -> int:
    with open(PLAN_PATH, encoding="utf-8") as fh:
        plan = json.load(fh)
    os.makedirs(OUT, exist_ok=True)
    os.chmod(TRACE_DIR, 0o700)
    global KILLER  # noqa: PLW0603 - one killer per container, made before any student code
    KILLER = Killer(plan)
    source = "/submission"
    reset_work(plan, source)
    if plan.get("build"):
        record = build(plan)
        write_json("build.json", record)
        if record["exit_code"] != 0:
            write_json("done.json", {"ok": True})
            return 0
        snapshot_work()
        source = PRISTINE
    first = True
    for r_index, request in enumerate(plan["runs"]):
        for repeat in range(int(request.get("repeat", 1))):
            if not first or plan.get("build"):
                reset_work(plan, source)
            first = False
            name = f"run-{r_index}-{repeat}"
            try:
                record = run_once(plan, request, repeat, name)
            except Exception as exc:  # noqa: BLE001 - the harness's own failure is recorded; the next run goes on
                kill_student(plan)
                record = {"name": request["name"], "repeat_index": repeat,
                          "command": list(request["command"]),
                          "internal_error": f"harness: {exc.__class__.__name__}: {exc}"}
            write_json(f"{name}.json", record)
    kill_student(plan)
    write_json("done.json", {"ok": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
