import os

# A chain: each process forks the next, three deep, and waits for it.
depth = 0
while depth < 3:
    pid = os.fork()
    if pid != 0:
        os.waitpid(pid, 0)
        break
    depth += 1
print(f"depth {depth} pid {os.getpid()} ppid {os.getppid()}", flush=True)
