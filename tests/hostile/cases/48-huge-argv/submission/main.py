import os
big = ["A" * 4000] * 450          # about 1.8 MB of arguments
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        os.execv("/bin/true", ["true", *big])
    os.waitpid(pid, 0)
print("hello os", flush=True)
