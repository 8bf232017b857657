"""crash-isolation: one process crashing does not take its siblings down.

Start three worker processes with multiprocessing.Process:
    worker 0: sleeps 0.2 s, prints "worker 0 done", returns normally
    worker 1: raises ZeroDivisionError at once (the process exits with code 1)
    worker 2: calls os.abort() at once (the process is killed by SIGABRT)
Join all three, then print one line per worker, in order, with its pid and
how it ended, e.g.
    worker 0 (pid 25): exit code 0
    worker 1 (pid 26): exit code 1
    worker 2 (pid 27): killed by SIGABRT
(Process.pid is the worker's pid. Process.exitcode is negative -N when the
process was killed by signal N; signal.Signals(N).name gives its name.)
"""

import multiprocessing
import os
import signal
import time


def main() -> None:
    # TODO
    pass


if __name__ == "__main__":
    main()
