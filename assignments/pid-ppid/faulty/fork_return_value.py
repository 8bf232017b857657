"""Faulty: prints the value fork() returned as the child's PID. In the child that value is 0."""

import os

print(f"parent pid={os.getpid()}", flush=True)
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        print(f"child pid={pid} ppid={os.getppid()}", flush=True)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
