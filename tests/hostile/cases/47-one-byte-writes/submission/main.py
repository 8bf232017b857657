import os
# every byte of a long output in its own write(), from three processes at once
for _ in range(2):
    if os.fork() == 0:
        break
line = b"hello os\n"
for _ in range(20000):
    for c in line:
        os.write(1, bytes([c]))
