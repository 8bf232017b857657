"""Faulty: shared memory made by hand the way shm_open does it (a file in /dev/shm,
mapped with MAP_SHARED), but never unlinked: it outlives the program."""

import mmap
import os
import struct

WORKERS = 4
SIZE = 4 * WORKERS

fd = os.open("/dev/shm/squares", os.O_CREAT | os.O_RDWR, 0o600)
os.ftruncate(fd, SIZE)
shared = mmap.mmap(fd, SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
os.close(fd)

children = []
for i in range(WORKERS):
    pid = os.fork()
    if pid == 0:
        struct.pack_into("i", shared, 4 * i, i * i)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
values = list(struct.unpack_from(f"{WORKERS}i", shared))
print(f"squares={values}", flush=True)
print(f"sum={sum(values)}", flush=True)
# missing: os.unlink("/dev/shm/squares")
