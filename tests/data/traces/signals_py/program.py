import os
import signal

count = 0


def on_usr1(signum, frame):
    global count
    count += 1


os.setpgid(0, 0)
signal.signal(signal.SIGUSR1, on_usr1)
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        os.kill(os.getppid(), signal.SIGUSR1)
        os._exit(0)
    os.waitpid(pid, 0)
print(f"received {count} signals", flush=True)
