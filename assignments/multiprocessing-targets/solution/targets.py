"""multiprocessing-targets reference."""

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


def main() -> None:
    workers = [multiprocessing.Process(target=count_up), multiprocessing.Process(target=count_down)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"all done: joined {workers[0].pid} and {workers[1].pid}", flush=True)


if __name__ == "__main__":
    main()
