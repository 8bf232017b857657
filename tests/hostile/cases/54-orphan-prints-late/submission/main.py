# The parent prints and exits at once; its two children print 1.2 s later, as orphans. The run
# lasts until every task has ended (or the time limit): their lines are not lost.
import os, time
for _ in range(2):
    if os.fork() == 0:
        time.sleep(1.2)
        print("hello os", flush=True)
        os._exit(0)
print("hello os", flush=True)
