"""zombie-orphan, reference: a zombie held on purpose for half a second, then a double-fork daemon."""

import os
import time


def hold_a_zombie() -> None:
    """The child ends at once; the parent waits for it only 0.5 s later: a zombie until then."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    time.sleep(0.5)
    os.waitpid(pid, 0)
    print("zombie reaped", flush=True)


def start_daemon() -> None:
    """Double fork: the middle child starts the daemon and ends at once; the parent reaps the middle
    child; the daemon, whose parent has ended, is an orphan that init adopts and reaps."""
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            time.sleep(0.3)
            print("daemon done", flush=True)
            os._exit(0)
        os._exit(0)
    os.waitpid(pid, 0)


def main() -> None:
    hold_a_zombie()
    start_daemon()
    print("parent done", flush=True)


if __name__ == "__main__":
    main()
