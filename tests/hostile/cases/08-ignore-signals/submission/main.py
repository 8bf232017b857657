# Ignores SIGTERM and every other catchable signal, in itself and in a child in its own group.
import os, signal, time
for sig in signal.valid_signals():
    try:
        signal.signal(sig, signal.SIG_IGN)
    except (OSError, ValueError, RuntimeError):
        pass
if os.fork() == 0:
    os.setpgid(0, 0)
    while True:
        time.sleep(0.01)
while True:
    pass
