"""Two threads take two locks in opposite orders: each holds one and waits for the other forever."""
import threading
import time

a, b = threading.Lock(), threading.Lock()


def one():
    with a:
        time.sleep(0.1)
        with b:
            print("one done", flush=True)


def two():
    with b:
        time.sleep(0.1)
        with a:
            print("two done", flush=True)


threads = [threading.Thread(target=one), threading.Thread(target=two)]
for t in threads:
    t.start()
for t in threads:
    t.join()
