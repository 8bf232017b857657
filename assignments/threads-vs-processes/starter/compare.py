"""threads-vs-processes: see the difference in the IDs the kernel gives.

Part 1: start 3 threads. Each prints   thread pid=<os.getpid()> tid=<its native thread id>
Part 2: start 3 processes. Each prints process pid=<os.getpid()> ppid=<os.getppid()>
Last line, printed by the main program:  shared memory: threads
(which of the two, threads or processes, share the program's memory?)
"""

import os
import threading


def main() -> None:
    # TODO part 1: three threads; join them all before part 2.
    # TODO part 2: three child processes (os.fork or multiprocessing); wait for them all.
    # TODO: the last line.
    pass


if __name__ == "__main__":
    main()
