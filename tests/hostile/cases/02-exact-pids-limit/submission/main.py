# 16 tasks at once: exactly the assignment's pids limit. All must start and finish.
import os, sys
r, w = os.pipe()
children = []
for i in range(15):
    try:
        pid = os.fork()
    except OSError as exc:
        print("fork failed at", i, exc, flush=True)
        break
    if pid == 0:
        os.close(w)
        os.read(r, 1)              # wait until every sibling exists
        os.write(1, b"child alive\n")
        os._exit(0)
    children.append(pid)
print("forked", len(children), flush=True)
os.close(w)                        # releases every child at once
for pid in children:
    os.waitpid(pid, 0)
print("all reaped", flush=True)
