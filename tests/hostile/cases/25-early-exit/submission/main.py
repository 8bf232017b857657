# Exits 0 before doing the work.
import os
os._exit(0)
children = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        print("hello os", flush=True)
        os._exit(0)
    children.append(pid)
print("hello os", flush=True)
