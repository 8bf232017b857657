import os
import socket

# Parent and child talk both ways over a socketpair.
a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    a.close()
    msg = b.recv(100)
    b.sendall(msg.upper())
    b.close()
    os._exit(0)
b.close()
a.sendall(b"ping from parent")
print(a.recv(100).decode(), flush=True)
os.waitpid(pid, 0)
