"""Faulty: part 1 stores the number in a global instead of a file. The child's
change never reaches the parent (fork copied the memory), so it prints "file: 0"."""

import os
import socket

result = 0

pid = os.fork()
if pid == 0:
    result = 42
    os._exit(0)
os.waitpid(pid, 0)
print(f"file: {result}", flush=True)

parent_sock, child_sock = socket.socketpair()
pid = os.fork()
if pid == 0:
    parent_sock.close()
    child_sock.sendall(b"ping")
    print(f"child got: {child_sock.recv(4).decode()}", flush=True)
    os._exit(0)
child_sock.close()
print(f"parent got: {parent_sock.recv(4).decode()}", flush=True)
parent_sock.sendall(b"pong")
os.waitpid(pid, 0)
