import os

# Fan-out: the parent forks four children, each prints its pid; the parent reaps all.
children = []
for i in range(4):
    pid = os.fork()
    if pid == 0:
        print(f"child {i} pid {os.getpid()} ppid {os.getppid()}", flush=True)
        os._exit(i)
    children.append(pid)
for pid in children:
    _, status = os.waitpid(pid, 0)
print(f"parent {os.getpid()} reaped {len(children)}", flush=True)
