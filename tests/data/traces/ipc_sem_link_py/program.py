import multiprocessing as mp

# A multiprocessing Lock shared by two workers: the runtime makes a named semaphore for it.
def work(lock, n):
    for _ in range(n):
        with lock:
            pass

if __name__ == "__main__":
    lock = mp.Lock()
    procs = [mp.Process(target=work, args=(lock, 10)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("done", flush=True)
