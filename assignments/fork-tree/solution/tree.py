"""fork-tree reference: a chain of depth 3 and a fan of three children."""

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
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            report(1)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)


def main() -> None:
    shape = sys.argv[1] if len(sys.argv) > 1 else "chain"
    if shape == "chain":
        chain(0)
    else:
        fan()


if __name__ == "__main__":
    main()
