"""Faulty: the parent waits for the first child at once, so it is a zombie only for a moment."""

import os
import time

pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
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
