import os
import time

# The child ends at once; the parent waits for it only 0.3 s later (a zombie for 0.3 s, then reaped).
pid = os.fork()
if pid == 0:
    os._exit(0)
time.sleep(0.3)
os.waitpid(pid, 0)
print("parent done", flush=True)
