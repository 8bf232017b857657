"""Faulty: no pipe at all. The child prints the parent's line itself."""

import os

pid = os.fork()
if pid == 0:
    print(f"parent got: hello from child {os.getpid()}", flush=True)
    os._exit(0)
os.waitpid(pid, 0)
