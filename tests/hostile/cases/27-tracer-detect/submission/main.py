# Detects the tracer and behaves differently: when traced, it fakes three lines from one process.
import os
traced = any(line.startswith("TracerPid:") and line.split()[1] != "0" for line in open("/proc/self/status"))
if traced:
    print("hello os\nhello os\nhello os", flush=True)
    raise SystemExit(0)
children = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        print("hello os", flush=True)
        os._exit(0)
    children.append(pid)
print("hello os", flush=True)
for pid in children:
    os.waitpid(pid, 0)
