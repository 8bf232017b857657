# Leaves SysV shm, semaphores and message queues, POSIX shm and a named semaphore behind.
# Run 2 says LEFTOVER if it can still see any of run 1's objects.
import ctypes, os
libc = ctypes.CDLL("libc.so.6", use_errno=True)   # find_library would spawn ldconfig
IPC_CREAT, IPC_EXCL = 0o1000, 0o2000
KEY = 0x5EED
for name in ("shm", "sem", "msg"):
    with open(f"/proc/sysvipc/{name}") as fh:
        rows = fh.read().splitlines()[1:]
    if rows:
        print("LEFTOVER sysv", name, len(rows), flush=True)
if libc.shmget(KEY, 0, 0) != -1:
    print("LEFTOVER shmget key", flush=True)
for entry in os.listdir("/dev/shm"):
    print("LEFTOVER /dev/shm/" + entry, flush=True)
shmid = libc.shmget(KEY, 1 << 20, IPC_CREAT | 0o600)
addr = libc.shmat(shmid, None, 0)
print("sysv shm", shmid, flush=True)
print("sysv sem", libc.semget(KEY, 4, IPC_CREAT | 0o000), flush=True)   # mode 0: still the owner's
print("sysv msg", libc.msgget(KEY, IPC_CREAT | 0o600), flush=True)
print("private shm", libc.shmget(0, 4096, IPC_CREAT | 0o600), flush=True)
# Mode 000: the owner may still remove them by id, but cannot stat them (ipcrm --all skips those).
print("locked shm", libc.shmget(KEY + 1, 4096, IPC_CREAT | 0o000), flush=True)
print("locked msg", libc.msgget(KEY + 1, IPC_CREAT | 0o000), flush=True)
fd = os.open("/dev/shm/leftover-shm", os.O_CREAT | os.O_RDWR, 0o000)
os.ftruncate(fd, 1 << 20)
libc.sem_open.restype = ctypes.c_void_p
sem = libc.sem_open(b"/leftover-sem", os.O_CREAT, 0o600, 1)
print("posix sem", "ok" if sem not in (None, 0, ctypes.c_void_p(-1).value) else "failed", flush=True)
os.mkdir("/dev/shm/locked-dir", 0o700)
open("/dev/shm/locked-dir/inner", "w").write("x")
os.chmod("/dev/shm/locked-dir", 0o000)
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
