"""Faulty (each child signals itself, not its parent).

signals: a parent counts its children's signals (count); a daemon started by the double fork (daemon)."""

import os
import signal
import sys


def count() -> None:
    os.setpgid(0, 0)                  # lead a new process group; the children are born into it
    received = 0

    def on_usr1(signum, frame):
        nonlocal received
        received += 1

    signal.signal(signal.SIGUSR1, on_usr1)   # before any child exists: no signal can arrive first
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            os.kill(os.getpid(), signal.SIGUSR1)
            os._exit(0)
        os.waitpid(pid, 0)            # one child at a time: two pending SIGUSR1 would merge into one
    print(f"received {received} signals", flush=True)


def daemon() -> None:
    pid = os.fork()
    if pid == 0:
        os.setsid()                   # a new session, with no controlling terminal
        if os.fork() > 0:
            os._exit(0)               # the session leader leaves; the daemon can never get a terminal
        with open("daemon.log", "w") as log:
            log.write(f"daemon {os.getpid()} in session {os.getsid(0)}\n")
        os._exit(0)
    os.waitpid(pid, 0)
    print("started", flush=True)


if __name__ == "__main__":
    {"count": count, "daemon": daemon}[sys.argv[1]]()
