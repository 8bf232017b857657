"""Four threads book the same 50 seats: each checks a seat's flag, announces the booking, then sets it."""
import threading

SEATS = 50
booked = [False] * SEATS


def book(name):
    for seat in range(SEATS):
        if not booked[seat]:                           # check
            print(f"{name} booked seat {seat}", flush=True)  # ... another thread may check meanwhile
            booked[seat] = True                        # act


threads = [threading.Thread(target=book, args=(f"thread-{i}",)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
