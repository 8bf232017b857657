"""Faulty: the child writes through a buffered file object and leaves with
os._exit(), which does not flush. The message never enters the pipe."""

import os

read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read_end)
    pipe_out = os.fdopen(write_end, "w")
    pipe_out.write(f"hello from child {os.getpid()}")
    os._exit(0)                     # the file object's buffer is thrown away

os.close(write_end)
chunks = []
while True:
    chunk = os.read(read_end, 1024)
    if not chunk:
        break
    chunks.append(chunk)
print(f"parent got: {b''.join(chunks).decode()}", flush=True)
os.waitpid(pid, 0)
