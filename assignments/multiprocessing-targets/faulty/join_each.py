"""Faulty: joins each process right after starting it, so they run one after the other."""

import multiprocessing
import time


def count_up() -> None:
    for n in (1, 2, 3):
        time.sleep(0.1)
        print(f"up {n}", flush=True)


def count_down() -> None:
    for n in (3, 2, 1):
        time.sleep(0.1)
        print(f"down {n}", flush=True)


if __name__ == "__main__":
    pids = []
    for target in (count_up, count_down):
        p = multiprocessing.Process(target=target)
        p.start()
        p.join()
        pids.append(p.pid)
    print(f"all done: joined {pids[0]} and {pids[1]}", flush=True)
