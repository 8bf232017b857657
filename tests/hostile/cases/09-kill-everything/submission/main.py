# Tries to kill its tracer, its parent, init, every pid it can see, then kill(-1, SIGKILL)
# (which spares the caller on Linux, so it goes on and prints).
# Prints a capitalised KILLED line only when a kill of something not its own succeeded.
import os, signal
me = os.getuid()
tracer = 0
for line in open("/proc/self/status"):
    if line.startswith("TracerPid:"):
        tracer = int(line.split()[1])
print("tracer", tracer, "parent", os.getppid(), flush=True)
for name, pid in (("TRACER", tracer), ("PARENT", os.getppid()), ("INIT", 1)):
    for sig in (signal.SIGSTOP, signal.SIGKILL, signal.SIGTERM):
        try:
            os.kill(pid, sig)
            print(name, "KILLED with", sig.name, flush=True)
        except OSError as exc:
            print("kill", name.lower(), sig.name, "denied:", exc.strerror, flush=True)
def real_uid(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Uid:"):
            return int(line.split()[1])
    return -1
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != os.getpid():
        try:
            ruid = real_uid(entry)
        except OSError:
            continue
        if ruid == me:
            continue
        try:                             # includes the harness's killer (euid = ours, real uid not)
            os.kill(int(entry), signal.SIGKILL)
            print("FOREIGN", entry, "ruid", ruid, "KILLED", flush=True)
        except OSError:
            pass
os.kill(-1, signal.SIGKILL)
print("survived kill(-1)", flush=True)
