import os
import signal
import time

os.setpgid(0, 0)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
kids = []
for i in range(2):
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if i == 1:
            os.setpgid(0, 0)
        print(f"child {os.getpid()} group {os.getpgid(0)}", flush=True)
        time.sleep(3)
        os._exit(0)
    if i == 1:
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
    kids.append(pid)
time.sleep(0.5)
os.killpg(os.getpgrp(), signal.SIGTERM)
os.kill(kids[1], signal.SIGTERM)
for pid in kids:
    os.waitpid(pid, 0)
print("done", flush=True)
