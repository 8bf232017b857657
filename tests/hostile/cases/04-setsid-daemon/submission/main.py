# A double-forked setsid daemon that writes later. It must be killed with the run and
# leave nothing for the next repeat: run 2 reports LEFTOVER if it sees any trace of run 1.
import os, time
me = os.getuid()
def real_uid(pid):   # /proc/PID is owned by the euid; the harness's killer has ours as euid only
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1
others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid() and real_uid(p) == me]
if others:
    print("LEFTOVER processes", others, flush=True)
for path in ("/tmp/daemon-was-here", "/work/daemon-was-here", "/dev/shm/daemon-was-here"):
    if os.path.exists(path):
        print("LEFTOVER file", path, flush=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(0.3)
        for path in ("/tmp/daemon-was-here", "/work/daemon-was-here", "/dev/shm/daemon-was-here"):
            open(path, "w").write("x")
        print("daemon wrote", flush=True)
        while True:
            time.sleep(0.05)
            open("/tmp/daemon-was-here", "a").write("x")
    os._exit(0)
os.wait()
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
