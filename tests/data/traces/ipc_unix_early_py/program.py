import os
import socket
import time

# Each child connects and sends before the parent's accept() returns (the parent sleeps first).
def serve(family, address):
    srv = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_INET:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(address)
    srv.listen(1)
    address = srv.getsockname()
    pid = os.fork()
    if pid == 0:
        srv.close()
        c = socket.socket(family, socket.SOCK_STREAM)
        c.connect(address)
        c.sendall(b"early bytes")
        c.close()
        os._exit(0)
    os.waitpid(pid, 0)
    time.sleep(0.1)
    conn, _ = srv.accept()
    data = conn.recv(100)
    print(family.name, "parent got:", data.decode(), flush=True)
    conn.close()
    srv.close()

serve(socket.AF_UNIX, "early.sock")
os.unlink("early.sock")
serve(socket.AF_INET, ("127.0.0.1", 0))
