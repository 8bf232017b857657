"""Two daemon threads that would sleep 0.3 s; the main thread does not join them and returns."""
import threading
import time


def work(i):
    time.sleep(0.3)
    print(f"thread {i} done", flush=True)


for i in range(2):
    threading.Thread(target=work, args=(i,), daemon=True).start()
time.sleep(0.05)
print("main done", flush=True)
