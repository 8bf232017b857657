"""Two threads add 100000 each to a shared counter: read it, add one in a helper, write it back."""
import threading

ITERATIONS = 100_000
counter = 0


def add_one(value):
    return value + 1


def worker():
    global counter
    for _ in range(ITERATIONS):
        value = counter           # read
        counter = add_one(value)  # write: another thread may have written in between


threads = [threading.Thread(target=worker) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"total={counter}")
