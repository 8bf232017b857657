"""Faulty: the parent keeps its copy of the write end open. Its read loop never
sees end-of-file (the parent itself could still write), so it blocks forever."""

import os

read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read_end)
    os.write(write_end, f"hello from child {os.getpid()}".encode())
    os.close(write_end)
    os._exit(0)

# missing: os.close(write_end)
chunks = []
while True:
    chunk = os.read(read_end, 1024)
    if not chunk:
        break
    chunks.append(chunk)
print(f"parent got: {b''.join(chunks).decode()}", flush=True)
os.waitpid(pid, 0)
