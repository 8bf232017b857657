"""Faulty: the child prints the text itself instead of running /bin/echo."""

import os

pid = os.fork()
if pid == 0:
    print("hello from echo", flush=True)
    os._exit(0)
_, status = os.waitpid(pid, 0)
print(f"child exited with {os.waitstatus_to_exitcode(status)}", flush=True)
