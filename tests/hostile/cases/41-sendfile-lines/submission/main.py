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
fd = os.open("/tmp/lines", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, b"hello os\nhello os\nhello os\n")
os.sendfile(1, fd, 0, 27)
