import os
import signal

pid = os.fork()
if pid == 0:
    os.kill(os.getppid(), signal.SIGUSR1)
    os._exit(0)
os.waitpid(pid, 0)
print("received 1 signals", flush=True)
