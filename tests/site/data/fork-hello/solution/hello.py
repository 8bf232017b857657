"""fork-hello reference: the parent forks two children; all three print once."""

import os


def main() -> None:
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            # The child: print, flush (os._exit does not flush), and leave the loop for good.
            print("hello os", flush=True)
            os._exit(0)
        children.append(pid)
    print("hello os", flush=True)
    for pid in children:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
