"""Faulty: the daemon is forked directly by the parent, which does not wait for it: the daemon is the
parent's own child, left running when the parent ends (no middle child, no double fork)."""

import os
import time

pid = os.fork()
if pid == 0:
    os._exit(0)
time.sleep(0.5)
os.waitpid(pid, 0)
print("zombie reaped", flush=True)
if os.fork() == 0:
    time.sleep(0.3)
    print("daemon done", flush=True)
    os._exit(0)
print("parent done", flush=True)
