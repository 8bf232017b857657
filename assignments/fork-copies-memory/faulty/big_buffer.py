"""Faulty: the value lives in an 80 MiB table, and the child rewrites the whole table.

fork() shares the parent's pages until one side writes (copy-on-write). The child
builds an 80 MiB temporary and then writes every page of the table, so the kernel
must copy each one: parent 80 MiB + temporary 80 MiB + copies 80 MiB is over the
128 MiB limit, and the child is killed before its second line."""

import os

SIZE = 80 * 2**20
table = bytearray(SIZE)           # value is table[0]

pid = os.fork()
if pid == 0:
    print(f"child: before={table[0]}", flush=True)
    table[:] = bytes([100]) * SIZE
    print(f"child: after={table[0]}", flush=True)
    os._exit(0)
os.waitpid(pid, 0)
print(f"parent: value={table[0]}", flush=True)
