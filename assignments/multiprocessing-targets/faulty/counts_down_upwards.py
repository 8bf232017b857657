"""Faulty: count_down loops over range(1, 4), so it prints down 1, down 2, down 3."""

import multiprocessing
import time


def count_up() -> None:
    for n in range(1, 4):
        time.sleep(0.1)
        print(f"up {n}", flush=True)


def count_down() -> None:
    for n in range(1, 4):
        time.sleep(0.1)
        print(f"down {n}", flush=True)


if __name__ == "__main__":
    workers = [multiprocessing.Process(target=count_up), multiprocessing.Process(target=count_down)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"all done: joined {workers[0].pid} and {workers[1].pid}", flush=True)
