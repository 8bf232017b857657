import multiprocessing as mp
from multiprocessing import shared_memory

# A child writes into a named shared-memory block; the parent reads it back.
def child(name):
    shm = shared_memory.SharedMemory(name=name)
    shm.buf[:5] = b"hello"
    shm.close()

if __name__ == "__main__":
    shm = shared_memory.SharedMemory(create=True, size=64)
    p = mp.Process(target=child, args=(shm.name,))
    p.start()
    p.join()
    print(bytes(shm.buf[:5]).decode(), flush=True)
    shm.close()
    shm.unlink()
