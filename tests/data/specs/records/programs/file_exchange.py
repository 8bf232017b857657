"""file-and-socket-ipc reference."""

import os
import socket


def through_file() -> None:
    pid = os.fork()
    if pid == 0:
        with open("result.txt", "w") as out:
            out.write("42\n")
        os._exit(0)
    os.waitpid(pid, 0)
    with open("result.txt") as src:
        print(f"file: {src.read().strip()}", flush=True)


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def through_socket() -> None:
    parent_sock, child_sock = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        parent_sock.close()
        child_sock.sendall(b"ping")
        reply = recv_exactly(child_sock, 4)
        print(f"child got: {reply.decode()}", flush=True)
        child_sock.close()
        os._exit(0)
    child_sock.close()
    message = recv_exactly(parent_sock, 4)
    print(f"parent got: {message.decode()}", flush=True)
    parent_sock.sendall(b"pong")
    parent_sock.close()
    os.waitpid(pid, 0)


def main() -> None:
    through_file()
    through_socket()


if __name__ == "__main__":
    main()
