"""Faulty: processes instead of threads. Each child adds to its own copy of the
counter; the parent's counter never changes: total=0."""

import multiprocessing
import threading
import time

PROCS = 4
ADDS = 250
counter = 0
lock = threading.Lock()


def add_one() -> None:
    global counter
    with lock:
        current = counter
        time.sleep(0)
        counter = current + 1


def worker() -> None:
    for _ in range(ADDS):
        add_one()


if __name__ == "__main__":
    procs = [multiprocessing.Process(target=worker) for _ in range(PROCS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print(f"total={counter}", flush=True)
