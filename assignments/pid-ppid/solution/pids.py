"""pid-ppid reference: each child prints the values the kernel gives it."""

import os


def main() -> None:
    print(f"parent pid={os.getpid()}", flush=True)
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            print(f"child pid={os.getpid()} ppid={os.getppid()}", flush=True)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
