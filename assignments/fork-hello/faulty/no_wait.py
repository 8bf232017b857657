"""Faulty: the parent never waits; its children are left for init to reap."""

import os
import time

for _ in range(2):
    if os.fork() == 0:
        time.sleep(0.2)
        print("hello os", flush=True)
        os._exit(0)
print("hello os", flush=True)
