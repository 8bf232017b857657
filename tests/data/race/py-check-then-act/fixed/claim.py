"""Four threads book the same 50 seats: the check and the act under one lock."""
import threading

SEATS = 50
booked = [False] * SEATS
lock = threading.Lock()


def book(name):
    for seat in range(SEATS):
        with lock:
            if not booked[seat]:
                print(f"{name} booked seat {seat}", flush=True)
                booked[seat] = True


threads = [threading.Thread(target=book, args=(f"thread-{i}",)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
