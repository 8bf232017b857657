"""zombie-orphan: hold a zombie on purpose, then start a daemon with a double fork.

Write your code in the two functions. Flush what you print (your stdout is a pipe).
"""

import os
import time


def hold_a_zombie() -> None:
    # TODO: fork a child that ends at once (os._exit(0)).
    # TODO: leave it a zombie for at least 0.3 s (sleep), then wait for it and print "zombie reaped".
    pass


def start_daemon() -> None:
    # TODO: fork a middle child; in it, fork the daemon and end the middle child at once.
    # TODO: the daemon sleeps 0.3 s, prints "daemon done" and ends.
    # TODO: the parent waits for the middle child (not for the daemon: it cannot, it is not its child).
    pass


def main() -> None:
    hold_a_zombie()
    start_daemon()
    print("parent done", flush=True)


if __name__ == "__main__":
    main()
