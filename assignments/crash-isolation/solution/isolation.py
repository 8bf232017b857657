"""crash-isolation reference."""

import multiprocessing
import os
import signal
import time


def finishes() -> None:
    time.sleep(0.2)
    print("worker 0 done", flush=True)


def raises() -> None:
    1 / 0


def aborts() -> None:
    os.abort()


def describe(exitcode: int) -> str:
    if exitcode < 0:
        return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"


def main() -> None:
    workers = [multiprocessing.Process(target=t) for t in (finishes, raises, aborts)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for i, w in enumerate(workers):
        print(f"worker {i} (pid {w.pid}): {describe(w.exitcode)}", flush=True)


if __name__ == "__main__":
    main()
