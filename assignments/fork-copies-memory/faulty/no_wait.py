"""Faulty: the parent does not wait. It prints before the child has even started,
and the child is never reaped by its parent."""

import os
import time

value = 0

pid = os.fork()
if pid == 0:
    time.sleep(0.2)          # the child has other things to do first
    print(f"child: before={value}", flush=True)
    value = 100
    print(f"child: after={value}", flush=True)
    os._exit(0)
print(f"parent: value={value}", flush=True)
