"""Faulty: the first child is a zombie for 0.5 s, but the parent never waits for it: it stays a zombie
until the parent ends."""

import os
import time

if os.fork() == 0:
    os._exit(0)
time.sleep(0.5)
print("zombie reaped", flush=True)
pid = os.fork()
if pid == 0:
    if os.fork() == 0:
        time.sleep(0.3)
        print("daemon done", flush=True)
        os._exit(0)
    os._exit(0)
os.waitpid(pid, 0)
print("parent done", flush=True)
