"""Faulty: the starter as given, no lock. Updates are lost when threads switch
between the read and the write."""

import threading
import time

THREADS = 4
ADDS = 250
counter = 0


def add_one() -> None:
    global counter
    current = counter
    time.sleep(0)
    counter = current + 1


def worker() -> None:
    for _ in range(ADDS):
        add_one()


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"total={counter}", flush=True)
