"""pid-ppid: the parent makes three children; every process reports its own PID and its parent's PID.

Output (one line per process, in any order):
    parent pid=<pid>
    child pid=<pid> ppid=<ppid>      (three of these)
"""

import os


def main() -> None:
    # TODO: print the parent's line.
    # TODO: fork three children; each prints its own line using os.getpid() and os.getppid().
    # TODO: the parent waits for all three.
    pass


if __name__ == "__main__":
    main()
