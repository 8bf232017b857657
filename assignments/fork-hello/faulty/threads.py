"""Faulty: three threads instead of three processes. One process prints all three lines."""

import threading


def say_hello() -> None:
    print("hello os", flush=True)


threads = [threading.Thread(target=say_hello) for _ in range(2)]
for t in threads:
    t.start()
say_hello()
for t in threads:
    t.join()
