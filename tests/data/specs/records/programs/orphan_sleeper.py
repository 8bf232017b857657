import os
import time

# The parent exits without waiting; the child outlives it and init reaps it.
if os.fork() == 0:
    time.sleep(0.3)
    print("child done", flush=True)
    os._exit(0)
print("parent done", flush=True)
