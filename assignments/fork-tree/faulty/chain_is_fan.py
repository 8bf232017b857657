"""Faulty: the "chain" is really a fan. The root forks all three, and each child just
prints a bigger depth number. The lines look right; the tree does not."""

import os
import sys


def report(depth: int) -> None:
    print(f"depth={depth} pid={os.getpid()} ppid={os.getppid()}", flush=True)


def fan(levels: list[int]) -> None:
    report(0)
    children = []
    for depth in levels:
        pid = os.fork()
        if pid == 0:
            report(depth)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)


if (sys.argv[1] if len(sys.argv) > 1 else "chain") == "chain":
    fan([1, 2, 3])
else:
    fan([1, 1, 1])
