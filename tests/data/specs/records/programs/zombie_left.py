import os
import time

# The child ends at once; the parent never waits and ends 0.3 s later: a zombie for 0.3 s, never reaped.
if os.fork() == 0:
    os._exit(0)
time.sleep(0.3)
print("parent done", flush=True)
