"""Faulty: part 1 uses processes instead of threads (and prints each process's own
pid as its "tid"). The kernel saw 6 children and no thread. The answer is also wrong."""

import multiprocessing
import os


def thread_report() -> None:
    print(f"thread pid={os.getpid()} tid={os.getpid()}", flush=True)


def process_report() -> None:
    print(f"process pid={os.getpid()} ppid={os.getppid()}", flush=True)


if __name__ == "__main__":
    for target in (thread_report, process_report):
        workers = [multiprocessing.Process(target=target) for _ in range(3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    print("shared memory: processes", flush=True)
