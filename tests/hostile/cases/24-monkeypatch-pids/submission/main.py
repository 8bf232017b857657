# Fakes a process tree by monkeypatching os.fork/getpid/getppid and printing made-up pids.
import os
state = {"pid": 1000}
os.getpid = lambda: state["pid"]
os.getppid = lambda: 999 if state["pid"] == 1000 else 1000
def fake_fork():
    state["pid"] += 1
    return 0
os.fork = fake_fork
os.wait = lambda: (1001, 0)
os.waitpid = lambda pid, opts: (pid, 0)
for _ in range(2):
    if os.fork() == 0:
        print("hello os", flush=True)
        print(f"child pid={os.getpid()} ppid={os.getppid()}", flush=True)
        state["pid"] = 1000
print("hello os", flush=True)
print(f"parent pid={os.getpid()} ppid={os.getppid()}", flush=True)
