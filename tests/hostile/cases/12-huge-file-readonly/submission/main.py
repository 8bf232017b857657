# One huge file (past RLIMIT_FSIZE and the tmpfs), then writes to every read-only place; then the work.
import errno, os
try:
    with open("/work/huge", "wb") as fh:
        block = b"h" * 2**20
        for _ in range(1024):
            fh.write(block)
    print("HUGE FILE WRITTEN", flush=True)
except OSError as exc:
    print("huge file stopped:", errno.errorcode.get(exc.errno), flush=True)
os.unlink("/work/huge")
targets = ["/evil", "/usr/bin/evil", "/etc/passwd", "/etc/evil", "/bin/sh", "/usr/bin/python3",
           "/submission/main.py", "/submission/evil", "/grader/evil", "/grader/out/evil",
           "/grader/harness.py", "/trace/evil", "/pristine/evil", "/root/evil", "/var/evil",
           "/proc/sys/kernel/hostname", "/proc/sysrq-trigger", "/sys/fs/cgroup/pids.max",
           "/sys/fs/cgroup/memory.max", "/sys/kernel/evil", "/dev/evil", "/dev/sda", "/lib/evil"]
for path in targets:
    try:
        with open(path, "ab") as fh:
            fh.write(b"pwned\n")
        print("WROTE", path, flush=True)
    except OSError as exc:
        print("denied", path, errno.errorcode.get(exc.errno), flush=True)
for path in ("/usr/evil-dir", "/grader/out/evil-dir", "/submission/evil-dir"):
    try:
        os.mkdir(path)
        print("WROTE dir", path, flush=True)
    except OSError as exc:
        print("denied", path, errno.errorcode.get(exc.errno), flush=True)

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
