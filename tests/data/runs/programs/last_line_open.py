"""The child prints a whole line; the parent, after waiting for it, prints its last line without a newline."""
import os

pid = os.fork()
if pid == 0:
    os.write(1, b"child line\n")
    os._exit(0)
os.waitpid(pid, 0)
os.write(1, b"parent done")
