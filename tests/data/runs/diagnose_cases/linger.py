import os
import time

pid = os.fork()
if pid == 0:
    print("child started")   # still in the child's buffer: stdout is a pipe
    time.sleep(100)          # outlives the parent and the time limit
    print("child finished")
    os._exit(0)
print("parent exits at once", flush=True)
