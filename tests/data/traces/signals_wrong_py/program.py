import os
import signal
import time

count = 0


def on_usr1(signum, frame):
    global count
    count += 1


first = os.fork()
if first == 0:
    time.sleep(0.3)
    os.kill(os.getppid(), signal.SIGUSR1)
    os._exit(0)
signal.signal(signal.SIGUSR1, on_usr1)
signal.signal(signal.SIGUSR2, signal.SIG_IGN)
second = os.fork()
if second == 0:
    os.kill(os.getppid(), signal.SIGUSR2)
    os._exit(0)
os.waitpid(first, 0)
os.waitpid(second, 0)
print(f"received {count} signals", flush=True)
