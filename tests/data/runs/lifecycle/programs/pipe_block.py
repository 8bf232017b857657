"""The child reads a pipe whose write end the parent never closes; the parent waits for the child."""
import os

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    while os.read(r, 100):
        pass
    os._exit(0)
os.close(r)
os.write(w, b"hello\n")
os.waitpid(pid, 0)
