"""threads-vs-processes reference."""

import os
import threading


def thread_report() -> None:
    print(f"thread pid={os.getpid()} tid={threading.get_native_id()}", flush=True)


def main() -> None:
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


if __name__ == "__main__":
    main()
