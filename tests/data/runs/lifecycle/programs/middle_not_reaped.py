"""Faulty: the parent never waits for the middle child of the double fork, so it is left a zombie
(the daemon itself is an orphan, which is fine)."""

import os
import time

pid = os.fork()
if pid == 0:
    os._exit(0)
time.sleep(0.5)
os.waitpid(pid, 0)
print("zombie reaped", flush=True)
if os.fork() == 0:
    if os.fork() == 0:
        time.sleep(0.3)
        print("daemon done", flush=True)
        os._exit(0)
    os._exit(0)
time.sleep(0.2)
print("parent done", flush=True)
