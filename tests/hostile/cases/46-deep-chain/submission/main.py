import os
# a 3000-process chain: each process forks the next and exits at once
depth = 0
while depth < 3000:
    if os.fork() != 0:
        os._exit(0)
    depth += 1
print("hello os", flush=True)
