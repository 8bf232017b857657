"""Faulty: exec without fork. exec replaces the calling process, so the parent's
own code after it never runs: nobody is left to wait or to print the status."""

import os

os.execv("/bin/echo", ["echo", "hello", "from", "echo"])
print("child exited with 0", flush=True)
