"""threads-share-memory reference: one lock guards the read-modify-write."""

import threading
import time

THREADS = 4
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


def main() -> None:
    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"total={counter}", flush=True)


if __name__ == "__main__":
    main()
