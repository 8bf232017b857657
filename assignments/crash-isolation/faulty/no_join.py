"""Faulty: reports before joining. Exit codes are still None (worker 0 is still
running; the others may not have been collected). multiprocessing joins them at exit."""

import multiprocessing
import os
import time


def finishes() -> None:
    time.sleep(0.2)
    print("worker 0 done", flush=True)


def raises() -> None:
    1 / 0


def aborts() -> None:
    os.abort()


if __name__ == "__main__":
    workers = [multiprocessing.Process(target=t) for t in (finishes, raises, aborts)]
    for w in workers:
        w.start()
    for i, w in enumerate(workers):
        print(f"worker {i} (pid {w.pid}): exit code {w.exitcode}", flush=True)
