"""Faulty: the parent prints before forking without flushing.

On a terminal this shows 3 lines. On a pipe, "hello os\n" is still in the
parent's buffer when it forks, so each child inherits a copy and prints it again.
"""

import os
import sys

print("hello os")
children = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        print("hello os")
        sys.exit(0)          # flushes the buffer: the inherited line and its own
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
