import multiprocessing as mp
from multiprocessing import shared_memory

# Three shared-memory kinds from multiprocessing: Value, Array and SharedMemory, each written by a child.
def work(value, array, name):
    value.value = 7
    array[0] = 3
    shm = shared_memory.SharedMemory(name=name)
    shm.buf[0] = 42
    shm.close()

if __name__ == "__main__":
    value = mp.Value("i", 0)
    array = mp.Array("i", 4)
    shm = shared_memory.SharedMemory(create=True, size=64)
    p = mp.Process(target=work, args=(value, array, shm.name))
    p.start()
    p.join()
    print("value", value.value, "array", array[0], "shm", shm.buf[0], flush=True)
    shm.close()
    shm.unlink()
