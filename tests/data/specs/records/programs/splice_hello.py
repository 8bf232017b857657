import os

# The parent prints every line through splice(); the children print only a newline.
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
os.close(w)
os.splice(r, 1, 27)
