"""clean-shutdown: start two threads and three child processes, and shut down cleanly.

Flush what you print (your stdout is a pipe).
"""

import os
import threading
import time


def work(i: int) -> None:
    time.sleep(0.5)
    print(f"thread {i} done", flush=True)


def main() -> None:
    # TODO: start two threads running work(0) and work(1), and wait for both (join).
    # TODO: fork three children; child i sleeps 0.1 * (3 - i) s, prints "child {i} done" and ends.
    # TODO: reap the children in the order you made them (the first one ends last).
    print("all done", flush=True)


if __name__ == "__main__":
    main()
