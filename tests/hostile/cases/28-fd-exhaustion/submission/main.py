# Exhausts file descriptors (files, pipes, sockets), keeps them, then does the work.
import errno, os, socket
held = []
for kind in ("file", "pipe", "socket"):
    try:
        while True:
            if kind == "file":
                held.append(os.open("/dev/null", os.O_RDONLY))
            elif kind == "pipe":
                held.extend(os.pipe())
            else:
                held.append(socket.socket(socket.AF_UNIX))
    except OSError as exc:
        print("fds exhausted by", kind, errno.errorcode.get(exc.errno), flush=True)
    for item in held[-4:]:
        os.close(item) if isinstance(item, int) else item.close()
    del held[-4:]
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
