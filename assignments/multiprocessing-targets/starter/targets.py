"""multiprocessing-targets: two processes running different functions at the same time.

Write two functions:
    count_up()    prints "up 1", "up 2", "up 3"       with time.sleep(0.1) before each line
    count_down()  prints "down 3", "down 2", "down 1" with time.sleep(0.1) before each line
Run each in its own multiprocessing.Process (target=the function itself, not
its result!). Start both before joining either, so they run at the same time.
After both have finished, the parent prints, as its last line,
    all done: joined <pid of the count_up process> and <pid of the count_down process>
(Process.pid is a started process's pid.)
"""

import multiprocessing
import time


def count_up() -> None:
    # TODO
    pass


def count_down() -> None:
    # TODO
    pass


def main() -> None:
    # TODO
    pass


if __name__ == "__main__":
    main()
