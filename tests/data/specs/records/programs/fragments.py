import os
import time

# Three processes each write a fragment of one "hello os" line; the parent writes two whole lines.
os.write(1, b"hello os\nhello os\n")
for i, part in enumerate((b"hel", b"lo ", b"os\n")):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.05 * i)
        os.write(1, part)
        os._exit(0)
    os.waitpid(pid, 0)
