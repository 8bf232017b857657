import multiprocessing as mp

# Two processes increment a shared multiprocessing.Value under its lock.
def work(counter, n):
    for _ in range(n):
        with counter.get_lock():
            counter.value += 1

if __name__ == "__main__":
    counter = mp.Value("i", 0)
    procs = [mp.Process(target=work, args=(counter, 100)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print(f"counter {counter.value}", flush=True)
