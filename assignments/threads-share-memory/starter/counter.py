"""threads-share-memory: four threads add to one shared counter.

Each of 4 threads calls add_one() 250 times. add_one() reads the counter, gives
the scheduler a chance to switch threads (time.sleep(0)), then writes it back.
Make the total exact with a lock: the program must print   total=1000
Do not remove the sleep(0): real programs get switched at the worst moment too.
"""

import threading
import time

THREADS = 4
ADDS = 250
counter = 0


def add_one() -> None:
    global counter
    current = counter
    time.sleep(0)            # a context switch can happen here
    counter = current + 1


def worker() -> None:
    for _ in range(ADDS):
        add_one()


def main() -> None:
    # TODO: protect the read-modify-write in add_one() with a threading.Lock.
    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"total={counter}", flush=True)


if __name__ == "__main__":
    main()
