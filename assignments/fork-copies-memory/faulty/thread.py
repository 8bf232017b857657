"""Faulty: a thread instead of a child process. Threads share the global, so the
"parent" sees the change: parent: value=100."""

import threading

value = 0


def child() -> None:
    global value
    print(f"child: before={value}", flush=True)
    value = 100
    print(f"child: after={value}", flush=True)


t = threading.Thread(target=child)
t.start()
t.join()
print(f"parent: value={value}", flush=True)
