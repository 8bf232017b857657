# Leaves POSIX message queues behind, one message more each run: a later repeat says LEFTOVER
# (and how long the queue grew) if it can still open one.
import ctypes, os
libc = ctypes.CDLL("libc.so.6", use_errno=True)
for name in os.listdir("/dev/mqueue"):
    print("LEFTOVER /dev/mqueue/" + name, flush=True)
q = libc.mq_open(b"/grows", os.O_RDWR, 0, None)
if q >= 0:
    print("LEFTOVER queue /grows", flush=True)
q = libc.mq_open(b"/grows", os.O_CREAT | os.O_RDWR, 0o600, None)
libc.mq_send(q, b"one more", 8, 0)
libc.mq_open(b"/locked", os.O_CREAT | os.O_RDWR, 0o000, None)
size = open("/dev/mqueue/grows").read().split()[0]
print("queue holds", 1 if size == "QSIZE:8" else size, flush=True)
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
