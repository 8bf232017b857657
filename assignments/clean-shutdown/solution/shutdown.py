"""clean-shutdown, reference: join both threads, then reap the three children in the order they were made."""

import os
import threading
import time


def work(i: int) -> None:
    time.sleep(0.5)
    print(f"thread {i} done", flush=True)


def main() -> None:
    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pids = []
    for i in range(3):
        pid = os.fork()
        if pid == 0:
            time.sleep(0.1 * (3 - i))       # the first child ends last
            print(f"child {i} done", flush=True)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)                  # oldest first, whenever each one ends
    print("all done", flush=True)


if __name__ == "__main__":
    main()
