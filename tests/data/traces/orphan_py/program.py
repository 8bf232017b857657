import os
import time

# The parent exits first; the child is re-parented to init and prints its new ppid.
pid = os.fork()
if pid == 0:
    time.sleep(0.5)
    print(f"orphan ppid {os.getppid()}", flush=True)
    os._exit(0)
print("parent exiting", flush=True)
