"""shared-memory: four worker processes fill one shared array.

Worker i (i = 0..3) is a separate process. It stores i*i into slot i of an
array that lives in shared memory (multiprocessing.Array, or shm_open + mmap).
After joining all workers, the parent prints
    squares=[0, 1, 4, 9]
    sum=14
"""

import multiprocessing


def worker(i, squares) -> None:
    # TODO: store i*i in slot i
    pass


def main() -> None:
    # TODO: make the shared array, start 4 processes, join them, print the results.
    pass


if __name__ == "__main__":
    main()
