"""pipe-message: the child sends a message to its parent through a pipe.

1. Make a pipe with os.pipe(), then fork.
2. The child writes   hello from child <its pid>   into the pipe and exits.
3. The parent reads until end-of-file, then prints
       parent got: hello from child <pid>
   and waits for the child.
Close the ends you do not use: the parent's read only sees end-of-file once
EVERY write end is closed, including the parent's own copy.
"""

import os


def main() -> None:
    # TODO
    pass


if __name__ == "__main__":
    main()
