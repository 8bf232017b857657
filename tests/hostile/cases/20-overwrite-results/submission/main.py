# Tries to write, replace or forge any result or trace file, by every path it can think of.
import errno, glob, os
me = os.getpid()
def attempt(what, fn):
    try:
        fn()
        print("WROTE", what, flush=True)
    except OSError as exc:
        print("denied", what, errno.errorcode.get(exc.errno), flush=True)
def write(path, data=b'{"exit_code": 0}'):
    return lambda: open(path, "wb").write(data)
for path in ["/grader/out/run-0-0.json", "/grader/out/run-1-0.json", "/grader/out/done.json",
             "/grader/out/build.json", "/grader/out/run-0-0.trace", "/grader/plan.json",
             "/trace/trace-run-0-0", "/trace/x"]:
    attempt(path, write(path))
attempt("rename over done.json", lambda: os.rename("/work/main.py", "/grader/out/done.json"))
os.symlink("/grader/out", "/work/out")   # allowed and harmless by itself: a link in its own dir
attempt("write through the symlink", write("/work/out/done.json"))
attempt("hard link harness", lambda: os.link("/grader/harness.py", "/work/h.py"))
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == me:
        continue
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        attempt(f"/proc/{pid}/fd/{os.path.basename(fd)}", write(fd, b"999 1.0 exit_group(0) = ?\n"))
    attempt(f"/proc/{pid}/cwd/evil", write(f"/proc/{pid}/cwd/grader/out/done.json"))
    attempt(f"/proc/{pid}/root/grader/out", write(f"/proc/{pid}/root/grader/out/done.json"))
    attempt(f"/proc/{pid}/mem", write(f"/proc/{pid}/mem", b"\x90"))
# The trace FIFO's name is predictable: make it first in every writable place.
for d in ("/tmp", "/work", "/dev/shm"):
    try:
        os.mkfifo(f"{d}/trace-run-1-0")   # harmless unless the harness used it
        print("planted", d, flush=True)
    except OSError:
        pass
