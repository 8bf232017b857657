"""Faulty: prints threading.get_ident() as the thread id. That is Python's own handle
(an address inside the process), not the kernel's thread id (get_native_id())."""

import os
import threading


def thread_report() -> None:
    print(f"thread pid={os.getpid()} tid={threading.get_ident()}", flush=True)


threads = [threading.Thread(target=thread_report) for _ in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()

children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        print(f"process pid={os.getpid()} ppid={os.getppid()}", flush=True)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
print("shared memory: threads", flush=True)
