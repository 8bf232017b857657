import os

# Unbuffered prints from four processes: text and newline are separate writes, lines can merge.
for _ in range(3):
    if os.fork() == 0:
        break
for _ in range(30):
    print("hello os")
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
