"""Faulty: threads and a plain list. The output is right, but no second process
and no shared memory between processes was ever made."""

import threading

WORKERS = 4


def worker(i, squares) -> None:
    squares[i] = i * i


squares = [0] * WORKERS
threads = [threading.Thread(target=worker, args=(i, squares)) for i in range(WORKERS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"squares={squares}", flush=True)
print(f"sum={sum(squares)}", flush=True)
