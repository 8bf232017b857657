"""The parent waits at once: the child is a zombie only for the moment between its exit and the wait."""
import os

pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print("reaped", flush=True)
