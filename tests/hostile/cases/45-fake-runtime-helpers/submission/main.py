import os, subprocess, sys
# two processes of the student's that only *claim* to be multiprocessing's helpers
for _ in range(2):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3) # multiprocessing.forkserver"])
children = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        print("hello os", flush=True)
        os._exit(0)
    children.append(pid)
print("hello os", flush=True)
for pid in children:
    os.waitpid(pid, 0)
