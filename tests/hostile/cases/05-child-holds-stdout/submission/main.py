# The parent does the work and exits; a grandchild keeps stdout open and sleeps forever.
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(10**6)
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
