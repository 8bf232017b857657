"""Double fork: the intermediate child is reaped at once, the grandchild (the daemon) outlives it."""
import os
import time

pid = os.fork()
if pid == 0:
    if os.fork() == 0:
        time.sleep(0.3)
        print("daemon done", flush=True)
        os._exit(0)
    os._exit(0)
os.waitpid(pid, 0)
print("parent done", flush=True)
