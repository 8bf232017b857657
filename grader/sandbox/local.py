"""The `local` sandbox: the same harness as the Docker backend, run directly in the container we are in.

For platforms that already run every submission in a disposable container of their own and give
it no Docker engine (Gradescope, PrairieLearn, CI). See docs/platforms.md. The grader, as root, lays out the harness's
paths (/grader, /submission, /work, /pristine, /trace, /hooks) as plain directories (tmpfs where mounting
is permitted), writes the plan and runs `python3 -I -S harness.py plan.json` unchanged; the
records are read back with the Docker backend's own reader. The harness runs the program under
`strace -f -u student` (or, chosen by hand, experimental, under a strace that attaches before the
program drops to the student's uid: tracing.NO_PTRACE_LAUNCHER), kills every process of the
student's uid and wipes /work, /tmp, /dev/shm and the SysV objects between runs, exactly as in a
container of ours.

What it cannot give is what the platform's container does not allow: a cgroup of its own (only
where /sys/fs/cgroup is cgroup v2 and writable), a private network namespace (only where
`unshare` is permitted), size-limited tmpfs (only where `mount` is). Each session records which limits were really in
force (SandboxResult.limits_in_force). It refuses to run outside a container unless forced:
there, the student's program would run on the grader's own machine.
"""

from __future__ import annotations

import base64
import ctypes
import fcntl
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict
from pathlib import Path
from typing import Any

from grader.errors import InfrastructureError
from grader.sandbox import docker_sandbox
from grader.sandbox.base import SandboxResult, run_in_sessions
from grader.sandbox.docker_sandbox import BUILD_TIMEOUT_MS, HARNESS, STUDENT_ENV, _collect, _copy_readable
from grader.sanitize import runtime_plan
from grader.sandbox.perturb import for_request
from grader.sandbox.records import Limits, RunRecord, RunRequest
from grader.sandbox.select import FORCE_FLAG
from grader.sandbox.tracing import NO_PTRACE_LAUNCHER, STRACE_ARGS, attach_args

__all__ = ["FORCE_FLAG", "TRACERS", "LocalSandbox", "LocalSandboxError", "container_evidence", "has_cap_sys_ptrace"]


# The harness's fixed paths (harness.py's layout), laid out at the filesystem's root.
GRADER_DIR = Path("/grader")
SUBMISSION_DIR = Path("/submission")
WORK_DIR = Path("/work")
PRISTINE_DIR = Path("/pristine")
TRACE_DIR = Path("/trace")
# harness.HOOK_DIR: root-owned, mode 755 (the student may read, never write it). The harness makes each
# run's sanitizer log directory in it (root-owned, mode 1733: the program may create its report there but
# can neither list nor read it) and removes that directory once it has read it; the session empties the rest.
HOOKS_DIR = Path("/hooks")
MARKER = GRADER_DIR / ".local-sandbox"     # says the paths above are ours to empty
LOCK_FILE = Path("/run/grader-local.lock") # one session at a time: the paths are fixed

SHARED_SCRATCH = (Path("/tmp"), Path("/dev/shm"), Path("/dev/mqueue"))  # the harness empties these
GRADER_TMP = Path("/var/tmp/grader-local")  # the grader's own temporary files: not in the student's /tmp

STUDENT_NAME = "student"
STUDENT_UIDS = (1000, *range(2000, 2100))
KILLER_UIDS = (1001, *range(2100, 2200))
HARNESS_TASKS = 5                          # as Docker's pids limit: the harness's own work as the student
THREAD_STACK = 8 * 2**20                   # glibc's default thread stack, counted by RLIMIT_DATA
CGROUP_ROOT = Path("/sys/fs/cgroup")
PR_SET_CHILD_SUBREAPER = 36
SHADOW_SANITIZERS = ("thread", "address")  # map terabytes of shadow memory: no RLIMIT_DATA for their builds
TOOLS = ("strace", "setpriv", "ipcrm", "sed")
CAP_SYS_PTRACE = 19
# How strace comes to trace the student's program: "strace-u" (strace starts it as the student; needs
# CAP_SYS_PTRACE), or "attach" (tracing.NO_PTRACE_LAUNCHER: strace attaches while the program is still
# root, then it drops to the student's uid; for containers without the capability, as PrairieLearn's
# hosted graders). "attach" is EXPERIMENTAL and only ever chosen by hand: strace there ends up with the
# student's effective and saved uid (exec sets the saved uid), so the student's program may signal it
# (kill or stop its tracer), and its `sed` filter runs as the student. "auto" is "strace-u".
TRACERS = ("auto", "strace-u", "attach")


class LocalSandboxError(InfrastructureError):
    """The local backend cannot run here (not a container, not root, a tool missing)."""

    exit_code = 2


def container_evidence() -> str | None:
    """What shows that this process runs inside a container, or None when nothing does."""
    for marker in ("/.dockerenv", "/run/.containerenv"):
        if os.path.exists(marker):
            return marker
    try:
        with open("/proc/1/cgroup", encoding="ascii", errors="replace") as fh:
            text = fh.read()
        for word in ("docker", "kubepods", "containerd", "lxc", "libpod", "garden"):
            if word in text:
                return f"/proc/1/cgroup names {word}"
    except OSError:
        pass
    try:
        with open("/proc/1/environ", "rb") as fh:
            for item in fh.read().split(b"\0"):
                if item.startswith(b"container="):
                    return "pid 1 has " + item.decode("ascii", "replace")
    except OSError:
        pass
    if shutil.which("systemd-detect-virt"):
        try:
            proc = subprocess.run(["systemd-detect-virt", "-c"], capture_output=True, text=True,
                                  timeout=5, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if proc.returncode == 0 and proc.stdout.strip() not in ("", "none"):
            return f"systemd-detect-virt -c says {proc.stdout.strip()}"
    return None


def has_cap_sys_ptrace(status: str | None = None) -> bool:
    """Whether this process holds CAP_SYS_PTRACE, from CapEff in /proc/self/status (or `status`, its text)."""
    if status is None:
        try:
            with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
                status = fh.read()
        except OSError:
            return False
    for line in status.splitlines():
        if line.startswith("CapEff:"):
            try:
                return bool(int(line.split()[1], 16) >> CAP_SYS_PTRACE & 1)
            except (IndexError, ValueError):
                return False
    return False


def _uids_in_use() -> set[int]:
    """Real uids of every process on this machine (as /proc shows them)."""
    used: set[int] = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with suppress(OSError):
                used.add(int(os.stat(f"/proc/{entry}").st_uid))
    return used


def _ensure_student() -> tuple[int, int, str]:
    """The unprivileged account the program runs as: `student`, created when missing."""
    try:
        entry = pwd.getpwnam(STUDENT_NAME)
    except KeyError:
        entry = None
    if entry is not None and entry.pw_uid != 0:
        return entry.pw_uid, entry.pw_gid, STUDENT_NAME
    busy = _uids_in_use()
    for uid in STUDENT_UIDS:
        try:
            pwd.getpwuid(uid)
            continue                        # someone else's account: never run a student as it
        except KeyError:
            pass
        if uid in busy:
            continue
        if shutil.which("useradd"):
            subprocess.run(["useradd", "--uid", str(uid), "--user-group", "--no-create-home",
                            "--home-dir", "/work", "--shell", "/bin/sh", STUDENT_NAME],
                           check=True, capture_output=True)
        else:
            with open("/etc/group", "a", encoding="utf-8") as fh:
                fh.write(f"{STUDENT_NAME}:x:{uid}:\n")
            with open("/etc/passwd", "a", encoding="utf-8") as fh:
                fh.write(f"{STUDENT_NAME}:x:{uid}:{uid}::/work:/bin/sh\n")
        created = pwd.getpwnam(STUDENT_NAME)
        return created.pw_uid, created.pw_gid, STUDENT_NAME
    raise LocalSandboxError("no free uid for the student account (tried 1000 and 2000-2099)")


def _free_killer_uid(student: int) -> int:
    """A uid with no account and no process: the harness's killer may signal only the student's."""
    busy = _uids_in_use()
    for uid in KILLER_UIDS:
        if uid == student or uid in busy:
            continue
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return int(uid)
    raise LocalSandboxError("no free uid for the harness's killer (tried 1001 and 2100-2199)")


def _probe(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=10, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _tmpfs_allowed() -> bool:
    probe = Path("/run") / f"grader-tmpfs-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        if not _probe(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)]):
            return False
        _probe(["umount", str(probe)])
        return True
    finally:
        with suppress(OSError):
            probe.rmdir()


def _cgroup_v2_parent() -> Path | None:
    """This process's cgroup v2 folder when it is writable, else None."""
    if not (CGROUP_ROOT / "cgroup.controllers").exists():
        return None
    try:
        st = os.statvfs(CGROUP_ROOT)
        if st.f_flag & os.ST_RDONLY:
            return None
        with open("/proc/self/cgroup", encoding="ascii") as fh:
            own = next((line.strip()[3:] for line in fh if line.startswith("0::")), None)
    except OSError:
        return None
    if own is None:
        return None
    folder = CGROUP_ROOT / own.lstrip("/")
    return folder if os.access(folder, os.W_OK) else None


def _enable_controllers(parent: Path) -> bool:
    """Give parent's children memory, pids and cpu control (moving parent's own processes to a leaf)."""
    wanted = {"memory", "pids", "cpu"}
    try:
        available = set((parent / "cgroup.controllers").read_text().split())
        if not wanted <= available:
            return False
        if wanted <= set((parent / "cgroup.subtree_control").read_text().split()):
            return True
        # cgroup v2 forbids processes in a folder whose controllers are handed down: move them out.
        leaf = parent / "grader-init"
        leaf.mkdir(exist_ok=True)
        for pid in (parent / "cgroup.procs").read_text().split():
            with suppress(OSError):
                (leaf / "cgroup.procs").write_text(pid)
        (parent / "cgroup.subtree_control").write_text("+memory +pids +cpu")
        return True
    except OSError:
        return False


class _Cgroup:
    """A cgroup v2 folder for one session: memory, pids and cpu limits for the harness and the program."""

    def __init__(self, path: Path, limits: Limits, extra_pids: int, extra_memory: int) -> None:
        self.path = path
        path.mkdir()
        memory = limits.memory_bytes + extra_memory
        (path / "memory.max").write_text(str(memory))
        with suppress(OSError):
            (path / "memory.swap.max").write_text("0")
        (path / "pids.max").write_text(str(limits.pids + extra_pids))
        period = 100_000
        (path / "cpu.max").write_text(f"{int(limits.cpus * period)} {period}")

    def join(self) -> None:
        """preexec: put the calling (forked) process in this cgroup."""
        (self.path / "cgroup.procs").write_text("0")

    def remove(self) -> None:
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                with suppress(OSError):
                    (self.path / "cgroup.kill").write_text("1")
                time.sleep(0.05)


# A few lines run in the private network namespace before the harness: bring the loopback
# interface up (a fresh namespace has it down; Docker's `--network none` has it up), then exec.
# Without CAP_NET_ADMIN the interface stays down (the probe says so) and the harness runs anyway.
_LO_UP = (
    "import fcntl,os,socket,struct,sys\n"
    "ok=1\n"
    "try:\n"
    " s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
    " r=fcntl.ioctl(s,0x8913,struct.pack('16sH22x',b'lo',0))\n"
    " f=struct.unpack('16sH22x',r)[1]|0x1|0x40\n"
    " fcntl.ioctl(s,0x8914,struct.pack('16sH22x',b'lo',f))\n"
    " s.close()\n"
    "except OSError:\n"
    " ok=0\n"
    "if len(sys.argv)<2: sys.exit(0 if ok else 1)\n"
    "os.execv(sys.argv[1],sys.argv[1:])\n"
)


class LocalSandbox:
    """Runs submissions with the harness directly in this (disposable) container."""

    def __init__(self, *, force: bool = False, python: str | None = None, tracer: str | None = None) -> None:
        evidence = container_evidence()
        if evidence is None and not force:
            raise LocalSandboxError(
                "the local sandbox runs the student's program on this machine itself, and this does not look "
                f"like a disposable container; use Docker (--sandbox docker) or pass {FORCE_FLAG}",
                exit_code=2)      # a refusal the command line fixes: usage (2), not a broken machine (4)
        if os.geteuid() != 0:
            raise LocalSandboxError("the local sandbox must run as root (it switches to the student's uid)")
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if missing:
            raise LocalSandboxError(f"the local sandbox needs {', '.join(missing)} on PATH",
                                    hint="apt-get install strace util-linux")
        self.python = python or ("/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable)
        self.evidence = evidence or "forced: not a container"
        self.uid, self.gid, self.user = _ensure_student()
        self.killer_uid = _free_killer_uid(self.uid)
        # A network namespace of its own where permitted. Not an IPC namespace: /dev/mqueue shows the
        # container's, and the harness could not see (nor empty) the POSIX queues of another one.
        self.unshare = shutil.which("unshare") is not None and _probe(["unshare", "--net", "true"])
        self.loopback = self.unshare and _probe(["unshare", "--net", "--", self.python, "-I", "-S", "-c", _LO_UP])
        self.tmpfs = _tmpfs_allowed()
        # Handing controllers down moves this cgroup's processes into a leaf: only in a container of
        # our own, never in a real machine's hierarchy (a forced run there goes without cgroups).
        parent = _cgroup_v2_parent() if evidence is not None else None
        self.cgroup_parent = parent if parent is not None and _enable_controllers(parent) else None
        choice = tracer or os.environ.get("GRADER_LOCAL_TRACER") or "auto"
        if choice not in TRACERS:
            raise LocalSandboxError(f"unknown tracer {choice!r} for the local sandbox: choose one of {', '.join(TRACERS)}")
        self.capability = has_cap_sys_ptrace()
        self.tracer = "strace-u" if choice == "auto" else choice
        if self.tracer == "strace-u" and not _probe(
                ["strace", "-f", "-q", "-u", self.user, "-o", "/dev/null", "--", "/bin/true"]):
            raise LocalSandboxError(
                f"strace cannot trace a program running as {self.user!r} in this container "
                "(ptrace was refused: the container needs the SYS_PTRACE capability"
                f"{'' if self.capability else ', and CapEff shows it is missing'})")
        if self.tracer == "attach" and not _probe(
                [self.python, "-I", "-S", "-c", NO_PTRACE_LAUNCHER,
                 json.dumps({"uid": self.uid, "gid": self.gid, "out": "/dev/null",
                             "strace_args": attach_args(STRACE_ARGS)}), "/bin/true"]):
            raise LocalSandboxError(
                "strace cannot attach to a program in this container, even before it drops to the student's uid "
                "(ptrace is refused altogether: a kernel.yama.ptrace_scope of 2 or more, or a seccomp profile "
                "that forbids ptrace)")
        self.image_id = self._environment_id()
        # Orphans of the student's program (its processes killed at a limit, a daemon) are
        # re-parented to us rather than to the container's pid 1, which may never reap them:
        # zombies would count against RLIMIT_NPROC in every later run.
        self.subreaper = _become_subreaper()
        # The harness empties /tmp between runs and checks it did: the grader's own scratch
        # folders (intake, crash reports) must live elsewhere, root-only.
        GRADER_TMP.mkdir(mode=0o700, parents=True, exist_ok=True)
        GRADER_TMP.chmod(0o700)
        tempfile.tempdir = str(GRADER_TMP)
        os.environ["TMPDIR"] = str(GRADER_TMP)

    # ----- what this environment gives -----
    def limits_in_force(self, limits: Limits, *, sanitize: str | None = None) -> dict[str, str]:
        """Each limit and how it is enforced here ("not enforced: ..." where it is not); sanitize: the
        sanitizer the session's program is built with, if any."""
        out = {"wall time": f"{limits.timeout_ms} ms, harness timer",
               "open files": f"{limits.open_files}, RLIMIT_NOFILE",
               "file size": f"{limits.file_bytes} bytes per file, RLIMIT_FSIZE"}
        if self.cgroup_parent is not None:
            out["memory"] = f"{limits.memory_bytes} bytes (+ the harness's), cgroup v2 memory.max"
            out["tasks"] = f"{limits.pids} (+ the harness's), cgroup v2 pids.max"
            out["cpu"] = f"{limits.cpus:g} CPU, cgroup v2 cpu.max"
        elif sanitize in SHADOW_SANITIZERS:
            out["memory"] = (f"not enforced (no writable cgroup v2, and the {sanitize} sanitizer's shadow memory is "
                             "terabytes of reserved address space, which RLIMIT_DATA would count); the container's "
                             "own memory limit and the wall time limit still apply")
        else:
            out["memory"] = (f"{self._data_limit(limits)} bytes of writable memory per process, RLIMIT_DATA "
                             "(no writable cgroup v2)")
            out["tasks"] = (f"{limits.pids + HARNESS_TASKS} for the student's uid (the limit + {HARNESS_TASKS} for the "
                            "harness's wipe), RLIMIT_NPROC (no writable cgroup v2)")
            out["cpu"] = "not enforced (no writable cgroup v2); the wall time limit still applies"
        out["network"] = ("not isolated: the container's network (unshare not permitted)" if not self.unshare
                          else "private namespace, loopback only" if self.loopback
                          else "private namespace with no interface up (not even loopback)")
        out["tracing"] = (
            "strace -u: strace starts the program as the student's uid (CAP_SYS_PTRACE)" if self.tracer == "strace-u"
            else "strace attached while the program was still root, then it dropped to the student's uid "
                 f"({'no CAP_SYS_PTRACE in this container' if not self.capability else 'chosen by option'}); "
                 "EXPERIMENTAL: the program could signal its tracer; --seccomp-bpf is not used, so tracing is "
                 "slower")
        out["ipc"] = "the container's SysV IPC and POSIX queues, emptied between runs by the harness"
        out["scratch space"] = (f"tmpfs of {limits.tmpfs_bytes} bytes for /work" if self.tmpfs
                                else "the container's disk for /work (mount not permitted); RLIMIT_FSIZE per file")
        return out

    @staticmethod
    def _data_limit(limits: Limits) -> int:
        return limits.memory_bytes + limits.pids * THREAD_STACK

    def _environment_id(self) -> str:
        """Stands for Docker's image id: what decides how programs behave here."""
        parts = [Path("/etc/os-release").read_text(errors="replace") if os.path.exists("/etc/os-release") else ""]
        for argv in (["strace", "-V"], [self.python, "--version"], ["gcc", "--version"]):
            try:
                parts.append(subprocess.run(argv, capture_output=True, text=True, timeout=10,
                                            check=False).stdout.splitlines()[0])
            except (OSError, subprocess.TimeoutExpired, IndexError):
                parts.append("")
        return "local:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]

    # ----- the Sandbox interface -----
    def run(
        self,
        submission: Path,
        requests: Sequence[RunRequest],
        *,
        limits: Limits,
        build: Sequence[str] | None = None,
    ) -> SandboxResult:
        result = run_in_sessions(self._session, submission, requests, limits=limits, build=build)
        result.limits_in_force = self.limits_in_force(limits, sanitize=_sanitizer_of(requests))
        result.image_id = result.image_id or self.image_id
        return result

    def _plan(self, requests: Sequence[RunRequest], limits: Limits, build: Sequence[str] | None) -> dict[str, Any]:
        """harness.py's plan, as docker_sandbox writes it, with this machine's uids."""
        plan: dict[str, Any] = {
            "uid": self.uid, "gid": self.gid, "user": self.user, "killer_uid": self.killer_uid,
            "env": STUDENT_ENV,
            "strace_args": STRACE_ARGS,
            "limits": asdict(limits),
            "test_faults": {},
            "build": list(build) if build else None,
            "build_timeout_ms": BUILD_TIMEOUT_MS,
            "runs": [
                {"name": r.name, "command": list(r.command), "repeat": r.repeat,
                 "stdin_b64": base64.b64encode(r.stdin).decode("ascii"),
                 "stdout_mode": r.stdout_mode, "trace": r.trace, "collect": list(r.collect),
                 "perturbations": for_request(r),
                 "sanitizer": runtime_plan(r.sanitize) if r.sanitize else None}
                for r in requests
            ],
        }
        if self.tracer == "attach":
            plan["trace_launcher"] = NO_PTRACE_LAUNCHER
            plan["attach_args"] = attach_args(STRACE_ARGS)
        linger = getattr(docker_sandbox, "LINGER_MS", None)
        if linger is not None:
            plan["linger_ms"] = linger
        return plan

    def _session(self, submission: Path, requests: Sequence[RunRequest], limits: Limits,
                 build: Sequence[str] | None) -> tuple[SandboxResult, str | None]:
        """One harness run: the build, then every request's repeats; and what an unfinished wipe left."""
        # Orphans are adopted by this process (a subreaper), not by the container's pid 1. Made here
        # again: a process forked after __init__ (a worker pool's child) does not inherit the setting.
        adopter = os.getpid() if _become_subreaper() else 1
        with _session_lock(), self._layout(submission, limits):
            (GRADER_DIR / "plan.json").write_text(json.dumps(self._plan(requests, limits, build)), encoding="utf-8")
            slack_ms = int(getattr(docker_sandbox, "KILL_SLACK_MS", 3000)) + int(
                getattr(docker_sandbox, "LINGER_MS", 0))
            budget_s = (BUILD_TIMEOUT_MS / 1000 if build else 0) + 15 + sum(
                r.repeat * (limits.timeout_ms + slack_ms) / 1000 for r in requests)
            status, log, backstop = self._run_harness(limits, budget_s,
                                                      shadow=_sanitizer_of(requests) in SHADOW_SANITIZERS)
            out = GRADER_DIR / "out"
            result = _collect(out, requests, limits)
            done = out / "done.json"
            unclean = json.loads(done.read_text(encoding="utf-8")).get("unclean") if done.exists() else None
            result.image_id = self.image_id
            result.limits_in_force = self.limits_in_force(limits, sanitize=_sanitizer_of(requests))
            for records in result.runs.values():
                for record in records:
                    record.image_id = self.image_id
                    record.adopter = adopter
                    if self.cgroup_parent is None and _fork_refused(record):
                        record.pids_limit_hit = True   # RLIMIT_NPROC refused a fork: the task limit was hit
            if not done.exists():
                why = ("the sandbox was stopped by the grader's backstop timer" if backstop
                       else f"the sandbox ended early (status {status})")
                tail = log.decode("utf-8", "replace").strip().splitlines()[-3:]
                result.internal_error = why + (": " + " | ".join(tail) if tail else "")
            return result, unclean

    @contextmanager
    def _layout(self, submission: Path, limits: Limits) -> Iterator[None]:
        """The harness's paths, fresh for this session and emptied after it."""
        _claim_paths()
        _check_scratch_free(self.uid)
        mounted: list[Path] = []
        try:
            GRADER_DIR.chmod(0o700)
            (GRADER_DIR / "out").mkdir(mode=0o700)
            shutil.copy2(HARNESS, GRADER_DIR / "harness.py")
            _copy_readable(submission, SUBMISSION_DIR)
            for path, mode in ((WORK_DIR, 0o1777), (PRISTINE_DIR, 0o755), (TRACE_DIR, 0o700), (HOOKS_DIR, 0o755)):
                path.mkdir(mode=mode, exist_ok=True)
                if path == HOOKS_DIR:
                    _own_hooks()
                if self.tmpfs:
                    size = {TRACE_DIR: "1m", HOOKS_DIR: "64k"}.get(path, str(limits.tmpfs_bytes))   # as Docker's
                    flags = "nosuid,nodev" + (",noexec" if path in (TRACE_DIR, HOOKS_DIR) else "")
                    if _probe(["mount", "-t", "tmpfs", "-o", f"size={size},mode={mode:o},{flags}", "tmpfs",
                               str(path)]):
                        mounted.append(path)
                path.chmod(mode)
            yield
        finally:
            for path in mounted:
                _probe(["umount", "-l", str(path)])
            _empty_paths()

    def _run_harness(self, limits: Limits, budget_s: float, *, shadow: bool = False) -> tuple[int | None, bytes, bool]:
        """Run harness.py as a child of ours; returns (exit status, its stderr, whether the backstop fired).

        shadow: the session's program is a ThreadSanitizer or AddressSanitizer build, which reserves terabytes of
        address space for its shadow memory at start-up: RLIMIT_DATA counts that, so it is not set
        (limits_in_force says so)."""
        harness = [self.python, "-I", "-S", str(GRADER_DIR / "harness.py"), str(GRADER_DIR / "plan.json")]
        argv = (["unshare", "--net", "--", self.python, "-I", "-S", "-c", _LO_UP, *harness]
                if self.unshare else harness)
        cgroup = None
        if self.cgroup_parent is not None:
            try:
                cgroup = _Cgroup(self.cgroup_parent / f"grader-session-{os.getpid()}-{time.monotonic_ns()}",
                                 limits, extra_pids=8, extra_memory=96 * 2**20)
            except OSError:
                cgroup = None
        data_limit = self._data_limit(limits)
        nproc = limits.pids + HARNESS_TASKS

        def preexec() -> None:
            os.setsid()
            if cgroup is not None:
                cgroup.join()
            else:
                import resource

                # Root (the harness, strace) is exempt from NPROC; the student's uid is counted.
                resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
                if not shadow:
                    resource.setrlimit(resource.RLIMIT_DATA, (data_limit, data_limit))

        errlog = GRADER_DIR / "harness.log"
        with errlog.open("wb") as err:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err, cwd="/",
                                    env={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                         "LANG": "C.UTF-8"},
                                    preexec_fn=preexec)  # noqa: PLW1509 - setsid/limits before exec
            backstop = False
            reaper = threading.Thread(target=_reap_strays, args=(proc.pid, {self.uid, self.killer_uid}),
                                      daemon=True)
            reaper.start()
            try:
                status: int | None = proc.wait(timeout=budget_s)
            except subprocess.TimeoutExpired:
                backstop = True
                with suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                status = proc.wait()
            finally:
                if proc.poll() is None:
                    with suppress(OSError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                _kill_uid(self.uid, self.killer_uid)
                reaper.join(timeout=2)
                _reap_now({self.uid, self.killer_uid})
                if cgroup is not None:
                    cgroup.remove()
        return status, errlog.read_bytes()[-4096:], backstop


_FORK_REFUSED = re.compile(r"(?:\s|<\.\.\. )(?:clone3?|v?fork)(?:\(| resumed>).*= -1 EAGAIN")


def _fork_refused(record: RunRecord) -> bool:
    """The trace shows a process-creating call refused for lack of tasks (EAGAIN)."""
    return any(_FORK_REFUSED.search(line) for line in record.trace_text().splitlines() if "EAGAIN" in line)


def _own_hooks() -> None:
    """/hooks must be root's: the harness keeps the sanitizer's logs and the Python start-up hook there."""
    info = HOOKS_DIR.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise LocalSandboxError(f"{HOOKS_DIR} is not a directory (a link?); the local sandbox needs it: remove it")
    if info.st_uid == 0 and info.st_gid == 0:
        return
    try:
        os.chown(HOOKS_DIR, 0, 0, follow_symlinks=False)
    except OSError as exc:
        raise LocalSandboxError(
            f"{HOOKS_DIR} is owned by uid {info.st_uid} and cannot be made root's ({exc.strerror}); the harness "
            "keeps the sanitizer's logs there, out of the student's reach: remove it") from exc


def _sanitizer_of(requests: Sequence[RunRequest]) -> str | None:
    """The sanitizer a session's program is built with (one build serves all its requests), or None."""
    return next((r.sanitize for r in requests if r.sanitize), None)


def _become_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _uid_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _reap_strays(harness: int, uids: set[int]) -> None:
    """Reap the student's orphans as soon as they end, until the harness itself has ended.

    Only the student's (or the killer's) processes are reaped: the harness's exit status is left
    for its Popen (WNOWAIT peeks first)."""
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            return
        except InterruptedError:
            continue
        if info is None or info.si_pid == harness:
            return
        if info.si_uid in uids or _uid_of(info.si_pid) in uids:
            with suppress(ChildProcessError):
                os.waitpid(info.si_pid, 0)
        else:
            return          # someone else's child: not ours to reap


def _reap_now(uids: set[int]) -> None:
    """Reap every ended child of the student's uid that is waiting now."""
    for _ in range(10_000):
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None or not (info.si_uid in uids or _uid_of(info.si_pid) in uids):
            return
        with suppress(ChildProcessError):
            os.waitpid(info.si_pid, 0)


def _kill_uid(uid: int, killer_uid: int) -> None:
    """SIGKILL every process of the student's uid (works without CAP_KILL: the signal is sent as the student)."""
    for _ in range(20):
        _reap_now({uid, killer_uid})        # our own ended children of that uid (the harness's killer)
        alive = [e for e in os.listdir("/proc") if e.isdigit() and _owner(e) == uid and not _ended(e)]
        if not alive:
            return
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setresuid(killer_uid, uid, killer_uid)
                for _round in range(5):
                    with suppress(OSError):
                        os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        with suppress(ChildProcessError):   # the stray reaper may have collected it
            os.waitpid(pid, 0)
        time.sleep(0.02)


def _ended(pid: str) -> bool:
    """A zombie (or gone): nothing left to kill."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


@contextmanager
def _session_lock() -> Iterator[None]:
    """The harness's paths are fixed, so sessions on one machine take turns."""
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _claim_paths() -> None:
    """Make the harness's paths ours: refuse when any of them holds something we did not put there."""
    if GRADER_DIR.exists() and not MARKER.exists():
        raise LocalSandboxError(f"{GRADER_DIR} already exists and was not made by the local sandbox; "
                                "it will not be emptied")
    if not MARKER.exists():
        for path in (SUBMISSION_DIR, WORK_DIR, PRISTINE_DIR, TRACE_DIR, HOOKS_DIR):
            if path.exists() and (not path.is_dir() or any(path.iterdir())):
                raise LocalSandboxError(f"{path} already exists and is not empty; the local sandbox needs it")
        GRADER_DIR.mkdir(mode=0o700, exist_ok=True)
        MARKER.write_text("paths made by grader's local sandbox\n", encoding="utf-8")
    _empty_paths()


def _check_scratch_free(uid: int) -> None:
    """/tmp, /dev/shm and /dev/mqueue are the student's here, and emptied between runs: refuse to
    start when something else keeps files there (the harness could not wipe them, and the student's
    program could read them)."""
    for folder in SHARED_SCRATCH:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        foreign = [e.name for e in entries if _lowner(e) != uid]
        if foreign:
            raise LocalSandboxError(
                f"the local sandbox gives {folder} to the student's program and empties it between runs, but it "
                f"holds files that are not the student's: {', '.join(sorted(foreign)[:3])}"
                f"{' ...' if len(foreign) > 3 else ''}; move them elsewhere")


def _lowner(path: Path) -> int | None:
    try:
        return path.lstat().st_uid
    except OSError:
        return None


def _empty_paths() -> None:
    """Empty what a session left (the harness already wiped /work, /tmp and /dev/shm as the student)."""
    for child in GRADER_DIR.iterdir():
        if child != MARKER:
            _remove(child)
    for path in (SUBMISSION_DIR, PRISTINE_DIR, WORK_DIR, TRACE_DIR, HOOKS_DIR):
        if path.is_dir() and not path.is_symlink():
            for child in path.iterdir():
                _remove(child)
    if SUBMISSION_DIR.exists():
        _remove(SUBMISSION_DIR)             # _copy_readable makes it afresh


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        for root, dirs, _files in os.walk(path):
            for d in dirs:
                with suppress(OSError):
                    os.chmod(os.path.join(root, d), 0o700)
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(OSError):
            path.unlink()


def describe(sandbox: LocalSandbox, limits: Limits | None = None) -> list[str]:
    """Lines for a staff log: where the local sandbox runs and which limits are in force."""
    lines = [f"local sandbox ({sandbox.evidence}); student uid {sandbox.uid}, killer uid {sandbox.killer_uid}"]
    for name, how in sandbox.limits_in_force(limits or Limits()).items():
        lines.append(f"  {name}: {how}")
    return lines
