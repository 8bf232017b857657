"""fork-exec: run another program in a child process.

Fork a child. The child replaces itself with the program /bin/echo, run as
    echo hello from echo
(os.execv("/bin/echo", ["echo", "hello", "from", "echo"])).
The parent waits for the child and prints
    child exited with 0
using the exit status it got from waitpid (os.waitstatus_to_exitcode).
"""

import os


def main() -> None:
    # TODO
    pass


if __name__ == "__main__":
    main()
