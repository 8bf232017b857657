import os, signal
children = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        print("hello os", flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)   # stop, so that the parent's wait "returns"
        os._exit(0)
    children.append(pid)
print("hello os", flush=True)
for pid in children:
    os.waitpid(pid, os.WUNTRACED)            # returns WIFSTOPPED: nothing was collected
