"""fork-copies-memory reference: the child's change stays in the child's copy."""

import os

value = 0


def main() -> None:
    global value
    pid = os.fork()
    if pid == 0:
        print(f"child: before={value}", flush=True)
        value = 100
        print(f"child: after={value}", flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
    print(f"parent: value={value}", flush=True)


if __name__ == "__main__":
    main()
