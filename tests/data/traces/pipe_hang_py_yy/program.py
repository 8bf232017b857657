import os

# Bug: the child never closes its copy of the write end, so its read never sees EOF.
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    data = b""
    while chunk := os.read(r, 64):
        data += chunk
    print("child never gets here", flush=True)
    os._exit(0)
os.close(r)
os.write(w, b"hello")
os.close(w)
print("parent waiting", flush=True)
os.waitpid(pid, 0)
