# Buries a marker under 1100 nested folders in /work, /tmp and /dev/shm (deeper than a recursive
# walk in Python goes; the innermost folder mode 000). A later repeat says LEFTOVER if it sees any.
import os
for path in ("/work/deep", "/tmp/deep", "/dev/shm/deep", "/work/marker", "/tmp/marker"):
    if os.path.exists(path):
        print("LEFTOVER", path, flush=True)
for top in ("/work/deep", "/tmp/deep", "/dev/shm/deep"):
    os.mkdir(top)
    os.chdir(top)
    for _ in range(1100):   # by chdir, so the trace names each folder "d", not its whole path
        os.mkdir("d")
        os.chdir("d")
    open("marker", "w").write("x")
    os.chmod(".", 0o000)
    os.chdir("/work")
open("/work/marker", "w").write("x")
open("/tmp/marker", "w").write("x")
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
