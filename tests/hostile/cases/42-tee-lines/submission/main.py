import os
kids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        os.write(1, b"\n")
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
r, w = os.pipe()
os.write(w, b"hello os\nhello os\nhello os\n")
# os.tee is not in the os module: call the C library's tee(2) directly
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.tee(r, 1, 27, 0)
