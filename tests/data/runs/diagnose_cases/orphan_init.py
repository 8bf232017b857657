import os
import time

pid = os.fork()
if pid == 0:
    time.sleep(0.3)          # the parent has ended by now: init adopts this process
    print("child done", flush=True)
    os._exit(0)
print("parent exits without waiting", flush=True)
