"""file-and-socket-ipc: two ways for processes to talk.

Part 1, through a file. Fork a child that writes the number 42 into the file
result.txt (in the current folder) and exits. The parent waits for it, reads
the file, and prints
    file: 42
Part 2, through a local socket. Make a connected pair with socket.socketpair()
(or an AF_UNIX socket), then fork. The child sends b"ping"; the parent
receives it, prints
    parent got: ping
and replies b"pong"; the child receives it and prints
    child got: pong
The parent waits for the child before it ends.
"""

import os
import socket


def main() -> None:
    # TODO part 1
    # TODO part 2
    pass


if __name__ == "__main__":
    main()
