import os
import signal
import time

# The parent sends SIGTERM to a sleeping child and reaps it.
pid = os.fork()
if pid == 0:
    time.sleep(5)
    os._exit(0)
time.sleep(0.2)
os.kill(pid, signal.SIGTERM)
_, status = os.waitpid(pid, 0)
print(f"child signalled {os.WIFSIGNALED(status)} {os.WTERMSIG(status)}", flush=True)
