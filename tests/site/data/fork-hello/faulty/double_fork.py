"""Faulty: two unguarded forks. The second fork runs in the parent AND the first child: 4 processes."""

import os

os.fork()
os.fork()
print("hello os", flush=True)
# Everyone waits for the children it has, so nothing is left unreaped.
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
