# 100 MB on one line with no newline, in 64 KiB writes (a single 100 MB object would hit the memory limit).
import os
block = b"x" * 65536
for _ in range(1600):
    os.write(1, block)
