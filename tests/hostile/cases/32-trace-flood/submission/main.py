# Almost no output, but as many traced syscalls with 4 KiB of data as it can: the trace, not
# stdout, is what grows. The grader must not read an unbounded trace into its own memory.
import os
fd = os.open("/dev/null", os.O_WRONLY)
block = b"t" * 4096
while True:
    os.write(fd, block)
