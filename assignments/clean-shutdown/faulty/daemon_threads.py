"""Faulty: the threads are daemons and never joined: the program ends while they still sleep, and
exit_group ends them before they print."""

import os
import threading
import time


def work(i: int) -> None:
    time.sleep(0.5)
    print(f"thread {i} done", flush=True)


for i in range(2):
    threading.Thread(target=work, args=(i,), daemon=True).start()
pids = []
for i in range(3):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.1 * (3 - i))
        print(f"child {i} done", flush=True)
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
print("all done", flush=True)
