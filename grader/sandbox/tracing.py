"""How the program is traced: strace's options and the calls it records (what grader.trace reads)."""

from __future__ import annotations

__all__ = ["NO_PTRACE_LAUNCHER", "STRACE_ARGS", "attach_args"]

# What the parser reads (grader.trace): tid + absolute time on every line, strings up
# to 4 KiB with \xHH for non-ASCII bytes, descriptors decorated with what they are.
STRACE_ARGS = [
    "-f", "-q", "-ttt", "-s", "4096", "-x", "--decode-fds=path,socket", "--seccomp-bpf",
    "-e", "trace=" + ",".join([
        # tasks: creation, programs, ends, reaping, signals sent
        "clone", "clone3", "fork", "vfork", "execve", "execveat", "exit", "exit_group",
        "wait4", "waitid", "kill", "tkill", "tgkill", "rt_sigqueueinfo", "setsid", "pause", "rt_sigaction",
        "nanosleep", "clock_nanosleep", "rt_sigsuspend", "restart_syscall", "poll", "ppoll", "select", "pselect6",
        "epoll_wait", "epoll_pwait",
        # signals and process groups/sessions (grader.trace.signals)
        "rt_tgsigqueueinfo", "pidfd_open", "pidfd_send_signal", "setpgid", "getpgid", "getpgrp", "getsid",
        # descriptors: what each one is and how it moves between tasks
        "open", "openat", "creat", "close", "close_range", "dup", "dup2", "dup3", "fcntl",
        "pipe", "pipe2", "mknod", "mknodat", "unlink", "unlinkat", "ftruncate", "memfd_create", "eventfd",
        "eventfd2",
        "link", "linkat", "rename", "renameat", "renameat2", "chdir", "fchdir",
        # data through descriptors
        "read", "write", "readv", "writev", "lseek", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
        "sendfile", "splice", "tee", "vmsplice", "copy_file_range",
        # sockets
        "socket", "socketpair", "bind", "listen", "connect", "accept", "accept4",
        "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown",
        # shared memory and System V / POSIX IPC
        "mmap", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semctl",
        "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
        "mq_timedreceive",
    ]),
]


# ----- tracing without CAP_SYS_PTRACE (the local backend on hosts such as PrairieLearn's) -----
# Without the capability, strace may attach only to a task whose real uid is its own, and may read a
# task's /proc/PID/fd (what --decode-fds prints) only when its filesystem uid is that task's. So this
# launcher, run by the harness as root in place of `strace -u`: forks the program-to-be (still root),
# starts strace as a sibling with real uid root (it may attach) and effective uid the student's (it
# may read the program's descriptors), waits until strace has attached, and only then does the
# program-to-be drop to the student's uid and exec the command. Made dumpable again just before that
# exec, so strace can read the exec's own arguments. strace, with a filesystem uid that may not open
# the root-only trace FIFO, writes through a pipe to `sed`, which inherits the FIFO from the launcher
# and drops the launcher's own lines (everything before the program's first execve). The launcher
# waits for the program and for strace, then ends the way the program did, so the harness reads the
# program's exit status as from `strace -u`. Standard library only: the image's python3 runs it.
# EXPERIMENTAL, never chosen automatically (grader.sandbox.local.TRACERS): exec sets strace's saved uid
# to its effective one, the student's, so the program may signal (kill, stop) its tracer; /bin/sh gives
# `sed` the student's real uid too; and `strace -p` may end while a child forked just before its
# parent's exit has not reported its first stop (seen once in ~140 runs: that child is left stopped).
NO_PTRACE_LAUNCHER = r'''
import ctypes, json, os, signal, sys, time
cfg = json.loads(sys.argv[1])
argv = sys.argv[2:]
uid, gid = cfg["uid"], cfg["gid"]
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_DUMPABLE, PR_SET_PTRACER, PR_SET_PTRACER_ANY = 4, 0x59616D61, ctypes.c_ulong(-1)

def tracer():
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0

ready_r, ready_w = os.pipe()
go_r, go_w = os.pipe()
child = os.fork()
if child == 0:
    os.close(ready_r)
    os.close(go_w)
    try:
        # Yama's ptrace_scope 1 lets only an ancestor attach, and strace is a sibling: allow it.
        libc.prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0)
        os.write(ready_w, b"r")
        os.close(ready_w)
        os.read(go_r, 1)
        os.close(go_r)
        deadline = time.monotonic() + 10
        while tracer() == 0:
            if time.monotonic() > deadline:
                os.write(2, b"grader: strace did not attach to the program\n")
                os._exit(125)
            time.sleep(0.0005)
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        os.execv(argv[0], argv)
    except OSError as exc:
        os.write(2, f"grader: could not start {argv[0]!r}: {exc.strerror}\n".encode())
        os._exit(126 if exc.errno != 2 else 127)
    os._exit(127)
os.close(ready_w)
os.close(go_r)
os.read(ready_r, 1)
os.close(ready_r)
tracer_pid = os.fork()
if tracer_pid == 0:
    out = os.open(cfg["out"], os.O_WRONLY)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(null, 2)
    os.closerange(3, 1 << 16)
    os.setgroups([])
    os.setresgid(0, gid, 0)
    os.setresuid(0, uid, 0)
    try:
        os.execvp("strace", ["strace", *cfg["strace_args"], "-o", "|exec sed -u '0,/ execve(/{/ execve(/!d}'",
                             "-p", str(child)])
    finally:
        os._exit(125)
os.write(go_w, b"g")
os.close(go_w)
_, status = os.waitpid(child, 0)
os.waitpid(tracer_pid, 0)
if os.WIFSIGNALED(status):
    sig = os.WTERMSIG(status)
    if sig not in (signal.SIGKILL, signal.SIGSTOP):
        signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)
    time.sleep(1)
    os._exit(128 + sig)
os._exit(os.WEXITSTATUS(status))
'''


def attach_args(strace_args: list[str]) -> list[str]:
    """STRACE_ARGS for the launcher's `strace -p`: --seccomp-bpf works only for a command strace starts."""
    return [arg for arg in strace_args if arg != "--seccomp-bpf"]
