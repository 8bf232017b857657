"""fork-hello: make three processes that each print "hello os" once.

Write your code in main(). Remember: output on a pipe is buffered, so flush
before you fork and before a child ends.
"""

import os


def main() -> None:
    # TODO: fork so that three processes exist (the parent and two children).
    # TODO: each of the three prints "hello os" exactly once.
    # TODO: the parent waits for every child it made.
    pass


if __name__ == "__main__":
    main()
