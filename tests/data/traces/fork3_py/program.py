import os

# Fork into three processes; each prints "hello os" once.
for _ in range(2):
    if os.fork() == 0:
        break
print("hello os")
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
