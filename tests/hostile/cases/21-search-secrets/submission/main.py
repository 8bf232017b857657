# Searches the filesystem, /proc and the environment for the hidden tests and the reference
# solution. The markers are assembled at run time so this file does not contain them itself.
import os, time
MARKERS = ["H1DD3N" + "-T3ST-N4ME", "R3F-S0LUT10N" + "-ZK9", "hostile" + "-py",
           "assignment" + ".yaml", "output" + ".count", "process" + ".no_orphans"]
EXPECTED_ENV = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR", "PYTHONDONTWRITEBYTECODE"}
deadline = time.monotonic() + 1.3
seen = 0
def check(path, data):
    for m in MARKERS:
        if m.encode() in data:
            print("FOUND", repr(m), "in", path, flush=True)
def read(path, limit=1 << 20):
    global seen
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit)
    except OSError:
        return
    seen += 1
    check(path, data)
for key in sorted(set(os.environ) - EXPECTED_ENV):
    print("ENV-EXTRA", key, flush=True)
check("environ", repr(dict(os.environ)).encode())
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for name in ("cmdline", "environ", "status", "maps", "mountinfo", "stat", "comm"):
            read(f"/proc/{pid}/{name}")
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                check(f"/proc/{pid}/fd/{fd}", os.readlink(f"/proc/{pid}/fd/{fd}").encode())
        except OSError:
            pass
for path in ("/proc/mounts", "/proc/self/mountinfo", "/etc/hostname", "/etc/hosts"):
    read(path)
roots = ["/grader", "/trace", "/submission", "/pristine", "/work", "/tmp", "/dev/shm", "/root",
         "/home", "/etc", "/opt", "/srv", "/var", "/run", "/mnt", "/media", "/"]
for root in roots:
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath == "/":
            dirnames[:] = [d for d in dirnames if d not in ("proc", "sys", "usr", "dev")]
        check(dirpath, dirpath.encode() + b"\n" + "\n".join(filenames).encode())
        for name in filenames:
            if time.monotonic() > deadline:
                break
            read(os.path.join(dirpath, name))
        if time.monotonic() > deadline:
            break
print("searched", seen, "files", flush=True)
