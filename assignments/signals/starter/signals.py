"""signals: two small programs in one file, chosen by the first argument.

python3 signals.py count
    Make the parent the leader of a new process group (os.setpgid(0, 0)).
    Install a handler for SIGUSR1 that counts the signals, before creating any child.
    Create two children, one after the other; each sends SIGUSR1 to its parent
    (os.kill(os.getppid(), ...)) and exits with os._exit(0). Wait for each child
    before creating the next. Then print:
        received 2 signals

python3 signals.py daemon
    Start a daemon by the double fork: the child calls os.setsid(), forks again and
    exits at once; the grandchild (the daemon) writes one line to daemon.log:
        daemon <its pid> in session <its session id>
    and exits. The parent waits for its child, then prints:
        started
"""

import os
import signal
import sys


def count() -> None:
    # TODO
    pass


def daemon() -> None:
    # TODO
    pass


if __name__ == "__main__":
    {"count": count, "daemon": daemon}[sys.argv[1]]()
