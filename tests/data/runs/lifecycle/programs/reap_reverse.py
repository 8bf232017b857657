"""Three children end at once; the parent reaps them newest first (waitpid by pid, in reverse)."""
import os
import time

pids = []
for i in range(3):
    pid = os.fork()
    if pid == 0:
        os._exit(i)
    pids.append(pid)
time.sleep(0.1)
for pid in reversed(pids):
    os.waitpid(pid, 0)
print("done", flush=True)
