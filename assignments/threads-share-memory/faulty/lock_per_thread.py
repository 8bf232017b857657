"""Faulty: every thread makes its own lock. A lock nobody else takes protects nothing."""

import threading
import time

THREADS = 4
ADDS = 250
counter = 0


def add_one(lock: threading.Lock) -> None:
    global counter
    with lock:
        current = counter
        time.sleep(0)
        counter = current + 1


def worker() -> None:
    lock = threading.Lock()
    for _ in range(ADDS):
        add_one(lock)


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"total={counter}", flush=True)
