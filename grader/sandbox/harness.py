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
    /dev/mqueue      the container's own POSIX message queues (its IPC namespace's), wiped too

The program runs under a seccomp filter installed here (see seccomp_program), on top of
Docker's default profile.
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
import stat
import subprocess
import sys
import termios
import time

PLAN_PATH = sys.argv[1] if len(sys.argv) > 1 else "/grader/plan.json"
OUT = "/grader/out"
WORK = "/work"
PRISTINE = "/pristine"
TRACE_DIR = "/trace"
SCRATCH_DIRS = ("/work", "/tmp", "/dev/shm", "/dev/mqueue")   # /dev/mqueue: the container's own
                                                          # mqueue fs (Docker mounts one per IPC namespace)
POLL_S = 0.02
BLIND_STOP_MS = 200   # the tracer outlives its last task by far less than this
COLLECT_BYTES = 1 << 20   # what is kept of one file a check reads (file.contents); its size is recorded
COLLECT_FILES = 32


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
    for attempt in range(20):   # a killed fork bomb's last tasks may still hold the pids limit
        try:
            pid = os.fork()
            break
        except BlockingIOError:
            if attempt == 19:
                raise
            time.sleep(0.05)
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
            if _real_uid(entry) != uid:
                continue
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError, ValueError):
            continue
        if state not in ("Z", "X"):
            pids.append(int(entry))
    return pids


def _real_uid(entry: str) -> int | None:
    """The task's real uid (/proc/PID/status). Not the owner of /proc/PID, which is root for a task that is
    not dumpable and the effective uid otherwise: the local backend's strace runs with the student's
    effective uid (and is not theirs), a student's process may make itself non-dumpable (and is)."""
    with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as fh:
        for line in fh:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return None


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
                    # The first round is sent whatever /proc says: a fork chain (each process forks one
                    # child and exits) is gone from a list of /proc by the time its entries are read, so
                    # the list says "nothing left" while the chain runs on. kill(-1) reaches every task at
                    # once, and a fork racing it fails (the parent has SIGKILL pending).
                    while (rounds == 0 or student_pids(self.uid)) and time.monotonic() < deadline:
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
        # Always asked, never skipped on an empty /proc scan: that scan misses a fork chain (see above).
        self.request()
        self.acknowledged()


KILLER: Killer | None = None


def kill_student(plan: dict) -> None:
    """SIGKILL every live process of the student's uid."""
    assert KILLER is not None
    KILLER.kill_all()


def _wipe_dir(path: str) -> None:
    """Empty `path` as the student: every entry made writable, then removed by rm, which walks
    without recursion in Python (1100 nested folders made shutil's walk raise RecursionError)."""
    names = os.listdir(path)
    if not names:
        return
    entries = [os.path.join(path, name) for name in names]
    # chmod first: a folder of mode 000 cannot be emptied, even by its owner. Symlinks are not followed.
    # (chmod follows a symlink named on its command line: those are left out, rm removes the link.)
    real = [e for e in entries if not os.path.islink(e)]
    if real:
        subprocess.run(["chmod", "-R", "--", "u+rwx", *real], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    subprocess.run(["rm", "-rf", "--one-file-system", "--", *entries], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)


def _clean_scratch() -> None:
    for path in SCRATCH_DIRS:
        if os.path.isdir(path):
            _wipe_dir(path)
    # SysV IPC objects the student made (POSIX shm lives in /dev/shm, POSIX queues in /dev/mqueue,
    # both wiped above). By id, from /proc/sysvipc: `ipcrm --all` skips objects whose mode denies
    # reading their status.
    for table, flag in (("shm", "-m"), ("sem", "-s"), ("msg", "-q")):
        for ident in _sysv_ids(table):
            subprocess.run(["ipcrm", flag, ident], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)


def _sysv_ids(table: str) -> list[str]:
    try:
        with open(f"/proc/sysvipc/{table}", encoding="ascii") as fh:
            return [line.split()[1] for line in fh.readlines()[1:] if len(line.split()) > 1]
    except OSError:
        return []


BASELINE: dict[str, set[str]] = {}   # what the scratch places held before any student code ran


def take_baseline() -> None:
    """Remember what the scratch places and SysV tables hold before the first run: nothing in a
    container of ours; the platform's own files where the local backend shares /tmp with it."""
    for path in SCRATCH_DIRS:
        try:
            BASELINE[path] = set(os.listdir(path))
        except OSError:
            BASELINE[path] = set()
    for table in ("shm", "sem", "msg"):
        BASELINE["sysv:" + table] = set(_sysv_ids(table))


def leftovers(uid: int) -> list[str]:
    """What the wipe should have removed and did not (empty when the next run starts clean):
    entries that were not there before the first run, any file of the student's anywhere under
    the scratch places (found by find, which walks without recursion), new SysV objects."""
    left = []
    for path in SCRATCH_DIRS:
        try:
            names = sorted(set(os.listdir(path)) - BASELINE.get(path, set()))
        except FileNotFoundError:
            continue
        except OSError as exc:
            left.append(f"{path} cannot be listed ({exc.strerror})")
            continue
        if names:
            left.append(f"{path} still holds {len(names)} entr{'y' if len(names) == 1 else 'ies'} "
                        f"({', '.join(repr(n) for n in names[:3])}{', ...' if len(names) > 3 else ''})")
            continue
        found = subprocess.run(["find", path, "-xdev", "-uid", str(uid), "-print", "-quit"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        if found.stdout.strip():
            left.append(f"{path} still holds a file of the program's: "
                        f"{found.stdout.strip().decode('utf-8', 'replace')[:200]!r}")
    for table in ("shm", "sem", "msg"):
        ids = set(_sysv_ids(table)) - BASELINE.get("sysv:" + table, set())
        if ids:
            left.append(f"{len(ids)} System V {table} object(s) remain")
    return left


def _copy_tree(src: str) -> int:
    """Copy src's entries into /work with cp (no recursion in Python, however deep the tree)."""
    names = os.listdir(src)
    if not names:
        return 0
    proc = subprocess.run(["cp", "-PR", "--preserve=mode,timestamps", "--",
                           *(os.path.join(src, n) for n in names), WORK + "/"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return proc.returncode


def reset_work(plan: dict, source: str) -> str | None:
    """Kill leftovers, wipe scratch space and SysV IPC (as the student), check as root that
    nothing is left, lay the submission out afresh (as the student).

    Returns None when the next run starts clean, else what went wrong (the caller fails the run
    and asks the host for a fresh container for every run after it)."""
    kill_student(plan)
    as_student(plan, _clean_scratch)
    left = leftovers(plan["uid"])
    if left:
        return "the sandbox could not be wiped between runs: " + "; ".join(left)
    # Best effort, as before: a file the build left unreadable (mode 000) is not copied back.
    as_student(plan, _copy_tree, source)
    return None


def snapshot_work() -> None:
    """Copy the built /work to the root-owned /pristine, out of the program's reach (cp: no recursion)."""
    names = os.listdir(WORK)
    if names:
        subprocess.run(["cp", "-PR", "--preserve=mode,timestamps", "--",
                        *(os.path.join(WORK, n) for n in names), PRISTINE + "/"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


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


# ----- the end-of-run snapshot -----

def syscall_names(machine: str | None = None, root: str = "") -> dict[int, str]:
    """Syscall number -> name for this machine's native ABI, from the image's own kernel headers
    (linux-libc-dev, pulled in by libc6-dev). Empty when the headers are absent or the machine is
    neither x86_64 nor aarch64: calls are then reported by number only, with no name guessed."""
    import platform

    machine = machine or platform.machine()
    paths = {"x86_64": ["/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"],
             "aarch64": ["/usr/include/asm-generic/unistd.h"]}.get(machine, [])
    for path in (root + p for p in paths):
        try:
            with open(path, encoding="ascii", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        direct: dict[str, int] = {}
        alias: dict[str, str] = {}
        # asm-generic names some calls twice, under `#if __BITS_PER_LONG == 64` and its #else
        # (fcntl / fcntl64): the 32-bit branch is skipped. Other conditionals are kept.
        stack: list[str] = []
        for line in text.splitlines():
            parts = line.split()
            if parts[:1] in (["#if"], ["#ifdef"], ["#ifndef"]):
                stack.append("bits64" if "__BITS_PER_LONG == 64" in line else "other")
            elif parts[:1] == ["#else"] and stack:
                stack[-1] = {"bits64": "bits32", "bits32": "bits64"}.get(stack[-1], stack[-1])
            elif parts[:1] == ["#endif"] and stack:
                stack.pop()
            if len(parts) < 3 or parts[0] != "#define" or "bits32" in stack:
                continue
            name, value = parts[1], parts[2]
            if name.startswith("__NR3264_") and value.isdigit():
                direct[name] = int(value)
            elif name.startswith("__NR_") and value.isdigit():
                direct[name[5:]] = int(value)
            elif name.startswith("__NR_") and value.startswith("__NR3264_"):
                alias[name[5:]] = value   # asm-generic: __NR_fcntl is __NR3264_fcntl on 64-bit
        for name, target in alias.items():
            if target in direct:
                direct[name] = direct[target]
        table = {nr: name for name, nr in direct.items() if not name.startswith("__NR3264_")
                 and name not in ("syscalls", "arch_specific_syscall")}
        if table:
            return table
    return {}


SYSCALL_NAMES: dict[int, str] = {}
# Calls whose first argument is a descriptor: the snapshot names what it is.
FD_FIRST = frozenset({
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
    "recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg", "accept", "accept4", "connect",
    "lseek", "fsync", "fdatasync", "flock", "ioctl", "fcntl", "getdents64", "ftruncate", "fstat",
    "newfstatat", "splice", "tee", "sendfile", "copy_file_range", "mq_timedsend", "mq_timedreceive",
    "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl",
})
POLL_LIKE = frozenset({"poll", "ppoll"})
SELECT_LIKE = frozenset({"select", "pselect6"})
EPOLL_WAIT = frozenset({"epoll_wait", "epoll_pwait", "epoll_pwait2"})
MAX_WATCHED = 64   # descriptors listed per poll/select/epoll call


def _fd_mode(proc_dir: str, fd: int) -> str | None:
    try:
        with open(f"{proc_dir}/fdinfo/{fd}", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags:"):
                    return {0: "r", 1: "w", 2: "rw"}.get(int(line.split()[1], 8) & 3)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _describe_fd(proc_dir: str, fd: int) -> dict:
    entry: dict = {"fd": fd}
    try:
        entry["target"] = os.readlink(f"{proc_dir}/fd/{fd}")
    except OSError:
        entry["target"] = None   # not open (the call will fail with EBADF) or already gone
    entry["mode"] = _fd_mode(proc_dir, fd)
    return entry


def _read_memory(pid: int, address: int, size: int) -> bytes | None:
    try:
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as fh:
            fh.seek(address)
            return fh.read(size)
    except (OSError, OverflowError, ValueError):
        return None


def _watched(pid: int, tid: int, call: str, args: list[int]) -> list[dict]:
    """The descriptors a poll/select/epoll call waits on, read from the task's memory or fdinfo."""
    import struct

    base = f"/proc/{pid}/task/{tid}"
    out: list[dict] = []
    if call in POLL_LIKE:
        count = min(args[1], MAX_WATCHED)
        data = _read_memory(pid, args[0], 8 * count) if count > 0 else b""
        for i in range(len(data or b"") // 8):
            fd, events, _ = struct.unpack_from("ihh", data or b"", 8 * i)
            if fd >= 0:
                entry = _describe_fd(base, fd)
                entry["wants"] = "read" if events & 1 else "write" if events & 4 else f"events {events:#x}"
                out.append(entry)
    elif call in SELECT_LIKE:
        nfds = min(args[0], 1024)
        size = (nfds + 63) // 64 * 8
        for arg, wants in ((args[1], "read"), (args[2], "write")):
            bits = _read_memory(pid, arg, size) if arg and size else None
            for fd in range(nfds if bits else 0):
                if bits and bits[fd // 8] >> (fd % 8) & 1 and len(out) < MAX_WATCHED:
                    entry = _describe_fd(base, fd)
                    entry["wants"] = wants
                    out.append(entry)
    elif call in EPOLL_WAIT:
        try:
            with open(f"{base}/fdinfo/{args[0]}", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    parts = line.split()
                    if parts[:1] == ["tfd:"] and len(out) < MAX_WATCHED:
                        entry = _describe_fd(base, int(parts[1]))
                        events = int(parts[3], 16) if len(parts) > 3 else 0
                        entry["wants"] = "read" if events & 1 else "write" if events & 4 else f"events {events:#x}"
                        out.append(entry)
        except (OSError, ValueError, IndexError):
            pass
    return out


def _decode_syscall(entry: dict, pid: int, tid: int, text: str) -> None:
    """Fill "call", "nr", "args" and the descriptors from /proc/TID/syscall's text."""
    parts = text.split()
    if not parts or parts[0] == "running":
        entry["call"] = None
        return
    try:
        nr = int(parts[0])
    except ValueError:
        return
    if nr < 0:         # blocked, but not in a call (e.g. stopped by a signal)
        entry["call"] = None
        entry["nr"] = nr
        return
    args = []
    for word in parts[1:7]:
        try:
            args.append(int(word, 16))
        except ValueError:
            break
    call = SYSCALL_NAMES.get(nr)
    entry.update({"call": call, "nr": nr, "args": args})
    if call is None or not args:
        return
    base = f"/proc/{pid}/task/{tid}"
    if call in FD_FIRST and args[0] < 1 << 31:
        entry["fd"] = _describe_fd(base, args[0])
    if call in POLL_LIKE | SELECT_LIKE | EPOLL_WAIT and len(args) >= 3:
        entry["fds"] = _watched(pid, tid, call, args)


def _holders(uid: int, targets: set[str]) -> dict[str, list[dict]]:
    """For each target, every student process that holds a descriptor to it."""
    out: dict[str, list[dict]] = {t: [] for t in targets}
    if not targets:
        return out
    for pid in sorted(student_pids(uid)):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for name in sorted(fds, key=lambda n: int(n) if n.isdigit() else -1):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{name}")
            except OSError:
                continue
            if target in out and len(out[target]) < MAX_WATCHED:
                out[target].append({"pid": pid, "fd": int(name), "mode": _fd_mode(f"/proc/{pid}", int(name))})
    return out


def with_student_fs(plan: dict, fn, *args):
    """fn(*args) with the student's filesystem uid and gid when the container has no CAP_SYS_PTRACE (the
    local backend's launcher): root may then read the student's /proc/PID/syscall, fd and mem only with
    the same filesystem uid as theirs. Back to root's afterwards."""
    if not plan.get("trace_launcher"):
        return fn(*args)
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.setfsgid(plan["gid"])
    libc.setfsuid(plan["uid"])
    try:
        return fn(*args)
    finally:
        libc.setfsuid(0)
        libc.setfsgid(0)


def snapshot_tasks(uid: int) -> tuple[list[dict], dict[str, list[dict]]]:
    """What each of the student's tasks was doing, read just before the kill, and who held
    the descriptors they were waiting on."""
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
            if "syscall" in entry:
                _decode_syscall(entry, pid, int(tid), entry["syscall"])
            out.append(entry)
    targets = {d["target"] for e in out for d in ([e["fd"]] if "fd" in e else []) + e.get("fds", [])
               if d.get("target")}
    return out, _holders(uid, targets)


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


# ----- the seccomp filter every traced program runs under -----
# Refused, on top of Docker's default profile (which stays in force):
#   clone with CLONE_UNTRACED   EPERM   the child would escape strace -f (no trace of what it does)
#   clone3                      ENOSYS  BPF cannot read its flags (they are in a struct); glibc
#                                       then falls back to clone, which is checked
#   ioctl(fd, TIOCSTI)          EPERM   bytes pushed into the pty's input with no write in the trace
#   io_uring_*                  EPERM   reads and writes done by the kernel, with no call to trace
#   the x32 ABI (x86_64)        EPERM   the same calls under other numbers
# Syscall numbers per audit architecture (the kernel's ABI; tests/engine/test_sandbox.py checks
# them against the image's own headers). A 64-bit process may also enter through the 32-bit
# ABI (int 0x80 on x86_64, AArch32 on arm64), so both of a host's ABIs are filtered.
CLONE_UNTRACED = 0x00800000
TIOCSTI = 0x5412
SECCOMP_ARCHES = {
    # audit arch: (clone, clone3, ioctl, io_uring_setup, io_uring_enter, io_uring_register)
    0xC000003E: (56, 435, 16, 425, 426, 427),     # x86_64
    0x40000003: (120, 435, 54, 425, 426, 427),    # i386 (int 0x80 from a 64-bit program)
    0xC00000B7: (220, 435, 29, 425, 426, 427),    # aarch64
    0x40000028: (120, 435, 54, 425, 426, 427),    # arm (AArch32 compat)
}
X32_BIT = 0x40000000


def seccomp_program() -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions (classic BPF over struct seccomp_data)."""
    ld_w_abs, jeq, jset, jge, ret = 0x20, 0x15, 0x45, 0x35, 0x06
    allow, errno_ = 0x7FFF0000, 0x00050000
    # Built as a flat list with symbolic targets, then resolved to relative jumps.
    prog: list[tuple[int, object, object, int]] = []
    labels: dict[str, int] = {}

    def emit(code: int, k: int, jt: object = 0, jf: object = 0) -> None:
        prog.append((code, jt, jf, k))

    def label(name: str) -> None:
        labels[name] = len(prog)

    emit(ld_w_abs, 4)                                  # arch
    for arch in SECCOMP_ARCHES:
        emit(jeq, arch, f"arch{arch}", 0)
    emit(ret, errno_ | errno.ENOSYS)                   # an ABI this filter does not know: nothing runs
    for arch, (clone, clone3, ioctl, *uring) in SECCOMP_ARCHES.items():
        label(f"arch{arch}")
        emit(ld_w_abs, 0)                              # nr
        if arch == 0xC000003E:
            emit(jge, X32_BIT, "eperm", 0)
        emit(jeq, clone, "clone", 0)
        emit(jeq, clone3, "enosys", 0)
        emit(jeq, ioctl, "ioctl", 0)
        for nr in uring:
            emit(jeq, nr, "eperm", 0)
        emit(ret, allow)
    label("clone")
    emit(ld_w_abs, 16)                                 # args[0] (flags), low 32 bits
    emit(jset, CLONE_UNTRACED, "eperm", 0)
    emit(ret, allow)
    label("ioctl")
    emit(ld_w_abs, 24)                                 # args[1] (request): the kernel reads 32 bits
    emit(jeq, TIOCSTI, "eperm", 0)
    emit(ret, allow)
    label("eperm")
    emit(ret, errno_ | errno.EPERM)
    label("enosys")
    emit(ret, errno_ | errno.ENOSYS)
    out = []
    for index, (code, jt, jf, k) in enumerate(prog):
        offsets = [labels[t] - index - 1 if isinstance(t, str) else int(t) for t in (jt, jf)]  # type: ignore[call-overload]
        assert all(0 <= o < 256 for o in offsets), "BPF jump out of range"
        out.append((code, offsets[0], offsets[1], k))
    return out


def install_seccomp() -> None:
    """Install the filter in this process (inherited by strace and everything it starts).
    no_new_privs is already set (Docker's no-new-privileges); set again, it is harmless."""
    import ctypes

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                    ("k", ctypes.c_uint)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    insns = seccomp_program()
    array = (SockFilter * len(insns))(*(SockFilter(*i) for i in insns))
    fprog = SockFprog(len(insns), array)
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def _first_task(launcher: int, uid: int) -> int | None:
    """The program's first process: the student's task whose parent is the launcher (strace),
    or the launcher itself once it has become the program (setpriv execs it)."""
    kids = student_pids(uid)
    if launcher in kids:
        return launcher
    for pid in kids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == launcher:
            return pid
    return None


def signal_name(number: int) -> str:
    """A signal's name as strace's trace gives it: SIGSEGV; real-time ones SIGRT_n for 32 + n (Python's
    Signals names only 34 and 64 and refuses 35..63)."""
    if 32 <= number <= 64:
        return f"SIGRT_{number - 32}"
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"


def limit_child(plan: dict, cpus: list[int] | None = None) -> None:
    """preexec for strace: limits the traced program inherits (strace writes to a FIFO, not a file),
    and the CPUs it is pinned to when the run's perturbation says so (tracer and program alike)."""
    limits = plan["limits"]
    if cpus:
        os.sched_setaffinity(0, cpus)
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
    install_seccomp()   # last: a failure here fails the start (Popen raises), never a run without it


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


# ----- schedule perturbation (computed by the host: grader/sandbox/perturb.py) -----
HOOK_DIR = "/hooks"   # root-owned, readable by the student: the Python start-up hook, never writable by it
# Runs as the interpreter starts (site imports sitecustomize from PYTHONPATH), then hides itself: off
# sys.path, out of sys.modules and os.environ, and hands over to the image's own sitecustomize.
PYTHON_HOOK = """import os, sys
sys.setswitchinterval({interval!r})
while {hook_dir!r} in sys.path:
    sys.path.remove({hook_dir!r})
if os.environ.get("PYTHONPATH") == {hook_dir!r}:
    del os.environ["PYTHONPATH"]
del sys.modules["sitecustomize"]
try:
    import sitecustomize
except ImportError:
    pass
"""


TICKER_MIN_US = 10    # a shorter period would be a busy loop, not a ticker


def start_tickers(cpus: list[int] | None, period_us: int | None) -> list[int]:
    """Preemption tickers for a pinned run (perturb.py, ticker_us): one process of ours per CPU, pinned
    there, that sleeps period_us and wakes until it is killed. Each wake-up preempts the student's thread
    on that CPU, and the scheduler then runs whichever thread is behind. They run as the harness (root),
    so the student's uid can neither see them among its tasks nor signal them; they hold no descriptor
    (a pipe end kept open would hide the program's EOF) and die with the harness (PR_SET_PDEATHSIG)."""
    if not cpus or not period_us:
        return []
    import ctypes

    period = max(TICKER_MIN_US, int(period_us)) / 1e6
    harness = os.getpid()
    pids = []
    for cpu in cpus:
        try:
            pid = os.fork()
        except OSError:
            break       # no task to spare (the pids limit): the run goes on with the tickers it has,
                        # and its record says how many (applied_tickers)
        if pid == 0:
            try:
                os.closerange(0, 1 << 16)
                libc = ctypes.CDLL(None, use_errno=True)
                libc.prctl(1, signal.SIGKILL, 0, 0, 0)    # PR_SET_PDEATHSIG
                if os.getppid() != harness:
                    os._exit(0)                             # the harness is already gone
                os.sched_setaffinity(0, [cpu])
                while True:
                    time.sleep(period)
            finally:
                os._exit(0)
        NOT_STUDENT.add(pid)
        pids.append(pid)
    return pids


def stop_tickers(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
        NOT_STUDENT.discard(pid)


def apply_perturbation(perturbation: dict, env: dict[str, str]) -> tuple[list[str], list[int] | None, dict]:
    """(extra strace options, CPUs to pin to or None, what was applied) for one run."""
    applied = dict(perturbation)
    cpus = None
    slots = perturbation.get("cpus")
    if slots:
        allowed = sorted(os.sched_getaffinity(0))
        cpus = sorted({allowed[slot % len(allowed)] for slot in slots})
    applied["applied_cpus"] = cpus
    interval = perturbation.get("switch_interval_s")
    applied["applied_switch_interval"] = False
    if interval is not None:
        try:
            os.makedirs(HOOK_DIR, mode=0o755, exist_ok=True)
            path = os.path.join(HOOK_DIR, "sitecustomize.py")
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="ascii") as fh:
                fh.write(PYTHON_HOOK.format(interval=float(interval), hook_dir=HOOK_DIR))
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
            os.chmod(HOOK_DIR, 0o755)
            env["PYTHONPATH"] = HOOK_DIR
            applied["applied_switch_interval"] = True
        except OSError:
            pass
    return list(perturbation.get("strace_args") or []), cpus, applied


# ----- sanitizers (grader/sanitize.py computes the plan; the report is read here, as root) -----
SANITIZER_BYTES = 256 * 1024   # what is kept of one sanitizer log file
SANITIZER_FILES = 16


def prepare_sanitizer(sanitizer: dict | None, out_name: str, env: dict[str, str]) -> str | None:
    """A fresh log directory for this run (root-owned, mode 1733: the program may create files in it but
    can neither list nor read it) and the sanitizer's options pointing there. Returns the directory."""
    if not sanitizer:
        return None
    log_dir = os.path.join(HOOK_DIR, f"san-{out_name}-{os.urandom(6).hex()}")
    os.makedirs(HOOK_DIR, mode=0o755, exist_ok=True)
    os.mkdir(log_dir, 0o700)
    os.chmod(log_dir, 0o1733)
    env[sanitizer["env"]] = f"{sanitizer['options']}:log_path={log_dir}/report"
    return log_dir


def collect_sanitizer(plan: dict, sanitizer: dict, log_dir: str) -> dict:
    """The sanitizer's log files, read as root once the program's processes are gone: regular files
    owned by the student, never through a link; anything else in the directory is named as such."""
    entries = []
    try:
        names = sorted(os.listdir(log_dir))
    except OSError:
        names = []
    for name in names[:SANITIZER_FILES]:
        entry = {"name": name, "status": "ok", "size": 0, "data_b64": ""}
        entries.append(entry)
        try:
            fd = os.open(os.path.join(log_dir, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError as exc:
            entry["status"] = "symlink" if exc.errno == errno.ELOOP else "unreadable"
            continue
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                entry["status"] = "not_regular"
                continue
            if info.st_uid != plan["uid"] or info.st_nlink != 1:
                entry["status"] = "foreign" if info.st_uid != plan["uid"] else "linked"
                continue
            data = os.read(fd, SANITIZER_BYTES)
            entry.update(size=info.st_size, data_b64=base64.b64encode(data).decode("ascii"))
        finally:
            os.close(fd)
    subprocess.run(["rm", "-rf", "--one-file-system", "--", log_dir], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return {"kind": sanitizer["kind"], "log_dir": log_dir, "exit_code": sanitizer["exit_code"],
            "files": entries, "more_files": max(0, len(names) - SANITIZER_FILES), "evasions": list(EVASIONS)}


EVASIONS: list[str] = []   # sanitizer_evasions of this container's build, given with every run's log


def sanitizer_evasions(plan: dict) -> list[str]:
    """What in the built work dir changes what the sanitizer reports: symbols defined in an ELF file
    (nm), or words in the sources. Read as root after the build."""
    sanitizer = next((r["sanitizer"] for r in plan["runs"] if r.get("sanitizer")), None)
    if not sanitizer:
        return []
    import re

    found: list[str] = []
    patterns = [re.compile(p) for p in sanitizer["evasion_patterns"]]
    symbols = set(sanitizer["evasion_symbols"])
    for folder, _dirs, files in os.walk(WORK):
        for name in files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, WORK)
            try:
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as fh:
                    head = fh.read(1 << 20)
            except OSError:
                continue
            if head[:4] == b"\x7fELF":
                out = subprocess.run(["nm", "--defined-only", "--", path], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, check=False).stdout.decode("ascii", "replace")
                for line in out.splitlines():
                    parts = line.split()
                    if parts and parts[-1] in symbols:
                        found.append(f"{rel} defines {parts[-1]}")
            elif name.endswith((".c", ".h", ".cc", ".cpp", ".cxx", ".hpp")):
                text = head.decode("utf-8", "replace")
                for pattern in patterns:
                    hit = pattern.search(text)
                    if hit:
                        line = text.count("\n", 0, hit.start()) + 1
                        found.append(f"{rel}:{line} uses {hit.group(0)}")
    return sorted(set(found))[:20]


def run_once(plan: dict, request: dict, index: int, out_name: str) -> dict:
    limits = plan["limits"]
    env = student_env(plan)
    log_dir = prepare_sanitizer(request.get("sanitizer"), out_name, env)
    perturbations = request.get("perturbations") or []
    inject: list[str] = []
    cpus: list[int] | None = None
    applied: dict | None = None
    if index < len(perturbations) and perturbations[index].get("level", "off") != "off":
        inject, cpus, applied = apply_perturbation(perturbations[index], env)
    command = list(request["command"])
    record: dict = {
        "name": request["name"], "repeat_index": index, "command": command,
        "stdout_mode": request.get("stdout_mode", "pipe"),
        "perturbation": applied,
    }
    if log_dir is not None:
        record["sanitizer_log_dir"] = log_dir
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
    if trace_on and plan.get("trace_launcher"):
        # No CAP_SYS_PTRACE (the local backend): the launcher attaches strace before the uid drops.
        argv = [sys.executable, "-I", "-S", "-c", plan["trace_launcher"], json.dumps(
            {"uid": plan["uid"], "gid": plan["gid"], "out": fifo, "strace_args": [*plan["attach_args"], *inject]}),
            *argv]
    elif trace_on:
        argv = ["strace", *plan["strace_args"], *inject, "-o", fifo, "-u", plan["user"], "--", *argv]
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
    tickers: list[int] = []
    if applied is not None:   # the run's own perturbation (a copy of perturbations[index])
        tickers = start_tickers(cpus, applied.get("ticker_us"))
        applied["applied_tickers"] = len(tickers)
    started = now_ms()
    try:
        proc = subprocess.Popen(
            argv, stdin=in_r, stdout=out_w, stderr=err_w, cwd=WORK, env=env,
            preexec_fn=lambda: limit_child(plan, cpus), close_fds=True,  # noqa: PLW1509 - the harness has no threads
        )
    except OSError as exc:
        stop_tickers(tickers)
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
    root_gone_at: int | None = None
    killed_for: str | None = None
    final_tasks: list[dict] = []
    open_ends: dict[str, list[dict]] = {}
    stopped_at: int | None = None
    root_pid: int | None = None

    def stop(reason: str) -> None:
        nonlocal killed_for, final_tasks, open_ends, stopped_at
        if killed_for is None:
            tasks, ends = with_student_fs(plan, snapshot_tasks, plan["uid"])
            if not tasks and (proc.poll() is not None or now_ms() < deadline + BLIND_STOP_MS):
                return   # everything had ended meanwhile: nothing is stopped, nothing is said
                         # (the output and trace limits have flags of their own). A scan of /proc misses
                         # a fork chain, though: while the tracer still has tasks past the limit (it
                         # ends with its last one), the run is stopped with no snapshot.
            killed_for = reason
            final_tasks, open_ends = tasks, ends
            stopped_at = now_ms() - started
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
        if root_pid is None:
            root_pid = _first_task(proc.pid, plan["uid"])
        if root_gone_at is None and killed_for is None and (
                proc.poll() is not None or (root_pid is not None and process_ended(root_pid))):
            root_gone_at = t
        if killed_for is None and t >= deadline:
            # The linger rule: the run lasts until every task of the program has ended, or until
            # the time limit, whichever comes first. Tasks the main process left running are
            # stopped at the limit like a hang ("linger": the main process itself had ended).
            stop("timeout" if root_gone_at is None else "linger")
        strace_done = proc.poll() is not None
        if strace_done and not streams:
            break
        if strace_done and (t >= deadline + 1500 or (killed_for is None and not student_pids(plan["uid"])
                                                      and t - (root_gone_at or t) > 1000)):
            # Every writer is gone (or was killed) and a stream still reports no end: stop reading.
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
    stop_tickers(tickers)   # after the usage is read: a reaped ticker's CPU time is not the program's
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
        "open_ends": open_ends,
        "stopped_for": killed_for,
        "stopped_at_ms": stopped_at,
        "main_ended_ms": None if root_gone_at is None else root_gone_at - started,
    })
    if returncode < 0:
        record["signal"] = signal_name(-returncode)
        record["exit_code"] = None
    else:
        record["exit_code"] = returncode
    return record


def collect_files(paths: list) -> list[dict]:
    """Copy the files the checks read out of /work, once the run's processes have ended (as root, into the
    record): regular files only, no symbolic link followed at any step, at most COLLECT_BYTES each."""
    out = []
    for rel in [str(p) for p in paths][:COLLECT_FILES]:
        entry = {"path": rel, "status": "ok", "size": 0, "truncated": False, "data_b64": ""}
        out.append(entry)
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        if not parts or ".." in parts or rel.startswith("/"):
            entry["status"] = "refused"
            continue
        fds = [os.open(WORK, os.O_RDONLY | os.O_DIRECTORY)]
        name = ""
        try:
            for name in parts[:-1]:
                fds.append(os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fds[-1]))
            name = parts[-1]
            fds.append(os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=fds[-1]))
            info = os.fstat(fds[-1])
            if not stat.S_ISREG(info.st_mode):
                entry["status"] = "not_regular"
                continue
            data = b""
            while len(data) <= COLLECT_BYTES:
                chunk = os.read(fds[-1], COLLECT_BYTES + 1 - len(data))
                if not chunk:
                    break
                data += chunk
            entry.update(size=max(info.st_size, len(data)), truncated=len(data) > COLLECT_BYTES,
                         data_b64=base64.b64encode(data[:COLLECT_BYTES]).decode("ascii"))
        except OSError as exc:
            try:
                linked = stat.S_ISLNK(os.lstat(name, dir_fd=fds[-1]).st_mode)
            except OSError:
                linked = False
            entry["status"] = ("symlink" if linked or exc.errno == errno.ELOOP else
                               "missing" if exc.errno in (errno.ENOENT, errno.ENOTDIR) else "unreadable")
        finally:
            for fd in fds:
                os.close(fd)
    return out


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
    SYSCALL_NAMES.update(syscall_names())
    os.makedirs(OUT, exist_ok=True)
    os.chmod(TRACE_DIR, 0o700)
    global KILLER  # noqa: PLW0603 - one killer per container, made before any student code
    KILLER = Killer(plan)
    take_baseline()
    source = "/submission"
    problem = reset_work(plan, source)
    if problem is not None:
        write_json("done.json", {"ok": True, "unclean": problem})
        return 0
    if plan.get("build"):
        record = build(plan)
        if record["exit_code"] == 0 and any(r.get("sanitizer") for r in plan["runs"]):
            record["sanitizer_evasions"] = sanitizer_evasions(plan)
            EVASIONS[:] = record["sanitizer_evasions"]
        write_json("build.json", record)
        if record["exit_code"] != 0:
            write_json("done.json", {"ok": True})
            return 0
        snapshot_work()
        source = PRISTINE
    first = True
    faults = plan.get("test_faults") or {}
    for r_index, request in enumerate(plan["runs"]):
        for repeat in range(int(request.get("repeat", 1))):
            name = f"run-{r_index}-{repeat}"
            if not first or plan.get("build"):
                problem = reset_work(plan, source)
                if problem is not None:
                    # Loud, and the end of this container: every run after this one gets a fresh
                    # container from the host (done.json's "unclean" says so).
                    write_json(f"{name}.json", {"name": request["name"], "repeat_index": repeat,
                                                "command": list(request["command"]), "internal_error": problem})
                    kill_student(plan)
                    write_json("done.json", {"ok": True, "unclean": problem})
                    return 0
            first = False
            try:
                record = run_once(plan, request, repeat, name)
            except Exception as exc:  # noqa: BLE001 - the harness's own failure is recorded; the next run goes on
                kill_student(plan)
                record = {"name": request["name"], "repeat_index": repeat,
                          "command": list(request["command"]),
                          "internal_error": f"harness: {exc.__class__.__name__}: {exc}"}
            if request.get("collect"):
                kill_student(plan)   # nothing of the program may write them after the copy
                record["files"] = collect_files(request["collect"])
            log_dir = record.pop("sanitizer_log_dir", None)
            if log_dir:
                kill_student(plan)   # nothing of the program may touch the log after it is read
                record["sanitizer"] = collect_sanitizer(plan, request["sanitizer"], log_dir)
            write_json(f"{name}.json", record)
            if faults.get("root_file_in_tmp"):
                # Test hook (tests/engine/test_sandbox.py): a file the student cannot remove, as a
                # wipe that does not finish would leave.
                with open("/tmp/.root-owned", "w", encoding="ascii") as fh:
                    fh.write("x")
    kill_student(plan)
    write_json("done.json", {"ok": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
