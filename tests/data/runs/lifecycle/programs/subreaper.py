"""The root makes itself a child subreaper, then double-forks: the orphaned grandchild is re-parented to
the root (not init), ends after 0.1 s, and the root reaps it only 0.5 s after the fork."""
import ctypes
import os
import time

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
pid = os.fork()
if pid == 0:
    if os.fork() == 0:
        time.sleep(0.1)
        os._exit(0)
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(0.5)
print("reaped", os.wait()[0], flush=True)
