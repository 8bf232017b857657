"""Faulty: in the fan, the children do not exit after printing. Each child goes
back into the loop and forks too: 8 processes instead of 4. (The chain is right.)"""

import os
import sys


def report(depth: int) -> None:
    print(f"depth={depth} pid={os.getpid()} ppid={os.getppid()}", flush=True)


def chain(depth: int) -> None:
    report(depth)
    if depth == 3:
        return
    pid = os.fork()
    if pid == 0:
        chain(depth + 1)
        os._exit(0)
    os.waitpid(pid, 0)


def fan() -> None:
    report(0)
    depth = 0
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            depth += 1
            report(depth)
            # missing: os._exit(0)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break


if (sys.argv[1] if len(sys.argv) > 1 else "chain") == "chain":
    chain(0)
else:
    fan()
