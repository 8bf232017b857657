"""crash-isolation: one process crashing does not take its siblings down.

Start three worker processes with multiprocessing.Process:
    worker 0: sleeps 0.2 s, prints "worker 0 done", returns normally
    worker 1: raises ZeroDivisionError at once (the process exits with code 1)
    worker 2: calls os.abort() at once (the process is killed by SIGABRT)
Join all three, then print one line per worker, in order:
    worker 0: exit code 0
    worker 1: exit code 1
    worker 2: killed by SIGABRT
(Process.exitcode is negative -N when the process was killed by signal N;
signal.Signals(N).name gives its name.)
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
