"""Faulty: the parent reaps with os.wait(), so it reaps the children in the order they end (newest first),
not in the order it made them."""

import os
import threading
import time


def work(i: int) -> None:
    time.sleep(0.5)
    print(f"thread {i} done", flush=True)


threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for i in range(3):
    if os.fork() == 0:
        time.sleep(0.1 * (3 - i))
        print(f"child {i} done", flush=True)
        os._exit(0)
for _ in range(3):
    os.wait()
print("all done", flush=True)
