"""Two threads add 100000 each to a shared counter: one lock around the read and the write."""
import threading

ITERATIONS = 100_000
counter = 0
lock = threading.Lock()


def add_one(value):
    return value + 1


def worker():
    global counter
    for _ in range(ITERATIONS):
        with lock:
            value = counter
            counter = add_one(value)


threads = [threading.Thread(target=worker) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"total={counter}")
