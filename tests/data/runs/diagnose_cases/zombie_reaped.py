import os
import time

pid = os.fork()
if pid == 0:
    os._exit(0)              # ends at once: a zombie until the parent waits
time.sleep(0.3)
os.waitpid(pid, 0)
print("reaped", flush=True)
