import os

pid = os.fork()
if pid == 0:
    try:
        os.execvp("wcc", ["wcc", "-l", "main.py"])
    except OSError:
        os._exit(127)
os.waitpid(pid, 0)
print("parent done")
