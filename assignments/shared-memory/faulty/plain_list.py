"""Faulty: a plain Python list. Each child fills in its own copy; the parent's list stays zeros."""

import multiprocessing

WORKERS = 4


def worker(i, squares) -> None:
    squares[i] = i * i


if __name__ == "__main__":
    squares = [0] * WORKERS
    procs = [multiprocessing.Process(target=worker, args=(i, squares)) for i in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print(f"squares={squares}", flush=True)
    print(f"sum={sum(squares)}", flush=True)
