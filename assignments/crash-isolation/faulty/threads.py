"""Faulty: threads instead of processes. The exception only ends its own thread,
but os.abort() kills the whole process: worker 0 never finishes and nothing is reported."""

import os
import threading
import time


def finishes() -> None:
    time.sleep(0.2)
    print("worker 0 done", flush=True)


def raises() -> None:
    1 / 0


def aborts() -> None:
    time.sleep(0.05)
    os.abort()


workers = [threading.Thread(target=t) for t in (finishes, raises, aborts)]
for w in workers:
    w.start()
for w in workers:
    w.join()
for i, _ in enumerate(workers):
    print(f"worker {i} (pid {os.getpid()}): exit code 0", flush=True)
