import os
import time

# Bug: the child exits but the parent never waits for it (a zombie until the parent exits).
pid = os.fork()
if pid == 0:
    print("child exiting", flush=True)
    os._exit(3)
time.sleep(0.5)
print("parent exiting without wait", flush=True)
