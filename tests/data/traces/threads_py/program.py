import threading

# Three threads in one process, each prints once.
def work(n: int) -> None:
    print(f"thread {n} ident {threading.get_native_id()}", flush=True)

threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("main done", flush=True)
