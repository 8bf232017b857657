"""Faulty: the parent prints every child's line itself, from fork()'s return value.

The numbers are right, but the lines were not printed by the children.
"""

import os

me = os.getpid()
print(f"parent pid={me}", flush=True)
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    children.append(pid)
for pid in children:
    print(f"child pid={pid} ppid={me}", flush=True)
for pid in children:
    os.waitpid(pid, 0)
