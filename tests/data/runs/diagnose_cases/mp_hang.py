"""A multiprocessing worker waits on an Event nobody sets; the parent joins it. shared_memory starts
the runtime's resource tracker, which is alive (reading its own pipe) when the time runs out."""
import multiprocessing as mp
from multiprocessing import shared_memory


def work(ready):
    ready.wait()


if __name__ == "__main__":
    block = shared_memory.SharedMemory(create=True, size=16)
    ready = mp.Event()
    worker = mp.Process(target=work, args=(ready,))
    worker.start()
    worker.join()
    block.close()
    block.unlink()
