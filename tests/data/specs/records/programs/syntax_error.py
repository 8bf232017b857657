import os

r, w = os.pipe()
if os.fork() == 0:
    os.write(w, b"hello from child " + str(os.getpid()).encode()
    os._exit(0)
