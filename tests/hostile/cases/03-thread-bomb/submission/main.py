import threading, time
n = 0
while True:
    try:
        threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()
        n += 1
    except RuntimeError:
        pass
