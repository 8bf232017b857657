"""Faulty: the chain has no base case. Every new process forks again, until the
kernel refuses (the pids limit) and fork() raises BlockingIOError. (The fan is right.)"""

import os
import sys


def report(depth: int) -> None:
    print(f"depth={depth} pid={os.getpid()} ppid={os.getppid()}", flush=True)


def chain(depth: int) -> None:
    report(depth)
    # missing: if depth == 3: return
    pid = os.fork()
    if pid == 0:
        chain(depth + 1)
        os._exit(0)
    os.waitpid(pid, 0)


def fan() -> None:
    report(0)
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            report(1)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)


if (sys.argv[1] if len(sys.argv) > 1 else "chain") == "chain":
    chain(0)
else:
    fan()
