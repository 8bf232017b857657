import os
import signal

# The program kills itself with SIGKILL after printing.
print("about to die", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
print("never printed", flush=True)
