# Reference solution. Marker that must never be readable inside the sandbox: R3F-S0LUT10N-ZK9
import os

children = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        print("hello os", flush=True)
        os._exit(0)
    children.append(pid)
print("hello os", flush=True)
for pid in children:
    os.waitpid(pid, 0)
