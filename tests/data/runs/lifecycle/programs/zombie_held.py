"""The child ends at once; the parent sleeps 0.4 s before it waits: a zombie for about 0.4 s, then reaped."""
import os
import time

pid = os.fork()
if pid == 0:
    os._exit(0)
time.sleep(0.4)
os.waitpid(pid, 0)
print("reaped", flush=True)
