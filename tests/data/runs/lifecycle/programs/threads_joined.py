"""Two threads that sleep 0.1 s; the main thread joins both."""
import threading
import time


def work(i):
    time.sleep(0.1)
    print(f"thread {i} done", flush=True)


threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("main done", flush=True)
