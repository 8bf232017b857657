import os
import time

pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    with open("daemon.log", "w") as log:
        log.write(f"daemon started in session {os.getsid(0)}\n")
        log.write("daemon done\n")
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(0.3)
print("parent done", flush=True)
