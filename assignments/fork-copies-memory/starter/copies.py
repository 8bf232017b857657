"""fork-copies-memory: after fork, the child has its own copy of every variable.

The program has a global `value = 0`. Fork one child. The child:
    prints   child: before=<value>
    sets value = 100
    prints   child: after=<value>
The parent waits for the child to finish, then prints
    parent: value=<value>
"""

import os

value = 0


def main() -> None:
    global value
    # TODO
    pass


if __name__ == "__main__":
    main()
