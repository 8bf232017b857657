"""fork-exec reference: fork, exec in the child, wait in the parent."""

import os


def main() -> None:
    pid = os.fork()
    if pid == 0:
        try:
            os.execv("/bin/echo", ["echo", "hello", "from", "echo"])
        finally:
            os._exit(127)           # only reached if exec failed
    _, status = os.waitpid(pid, 0)
    print(f"child exited with {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()
