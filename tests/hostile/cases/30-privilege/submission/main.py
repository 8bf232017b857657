# unshare, mount, ptrace of another task, setuid binaries, capabilities, the Docker socket.
# Prints ESCALATED only when something worked that must not.
import ctypes, errno, os, socket, stat, subprocess
libc = ctypes.CDLL("libc.so.6", use_errno=True)   # find_library would spawn ldconfig
def err():
    return errno.errorcode.get(ctypes.get_errno(), "?")
for name, flag in (("user", 0x10000000), ("mount", 0x00020000), ("pid", 0x20000000), ("net", 0x40000000)):
    if libc.unshare(flag) == 0:
        print("ESCALATED unshare", name, flush=True)
    else:
        print("unshare", name, "denied", err(), flush=True)
os.makedirs("/tmp/mnt", exist_ok=True)
if libc.mount(b"none", b"/tmp/mnt", b"tmpfs", 0, None) == 0:
    print("ESCALATED mount", flush=True)
else:
    print("mount denied", err(), flush=True)
PTRACE_ATTACH, PTRACE_SEIZE = 16, 0x4206
tracer = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("TracerPid:"))
for pid in sorted({1, os.getppid(), tracer} | {int(p) for p in os.listdir("/proc") if p.isdigit()}):
    if pid == os.getpid():
        continue
    for req in (PTRACE_ATTACH, PTRACE_SEIZE):
        if libc.ptrace(req, pid, None, None) == 0:
            print("ESCALATED ptrace", pid, flush=True)
print("ptrace attempts done", flush=True)
status = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
for key in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
    print(key, status[key].strip(), flush=True)
if int(status["CapEff"], 16) or int(status["CapPrm"], 16):
    print("ESCALATED capabilities", flush=True)
print("NoNewPrivs", status["NoNewPrivs"].strip(), "Seccomp", status["Seccomp"].strip(), flush=True)
for binary, args in (("/usr/bin/su", ["-c", "id -u"]), ("/usr/bin/mount", ["-t", "tmpfs", "none", "/tmp/mnt"]),
                     ("/usr/bin/newgrp", ["root"]), ("/usr/bin/passwd", ["-d", "root"])):
    try:
        out = subprocess.run([binary, *args], input=b"", capture_output=True, timeout=0.3)
        print(binary, "exit", out.returncode, flush=True)
        if out.returncode == 0 and binary != "/usr/bin/newgrp":
            print("ESCALATED", binary, out.stdout[:80], flush=True)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(binary, "failed", type(exc).__name__, flush=True)
if os.geteuid() == 0 or os.getuid() == 0:
    print("ESCALATED uid 0", flush=True)
for path in ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
             "/var/run/docker/containerd/containerd.sock", "/run/podman/podman.sock"):
    if os.path.exists(path):
        print("ESCALATED docker socket visible", path, flush=True)
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        print("ESCALATED connected to", path, flush=True)
    except OSError:
        pass
for dirpath, dirnames, filenames in os.walk("/"):
    if dirpath == "/":
        dirnames[:] = [d for d in dirnames if d not in ("proc", "sys", "usr")]
    for name in filenames:
        full = os.path.join(dirpath, name)
        try:
            is_socket = stat.S_ISSOCK(os.lstat(full).st_mode)
        except OSError:
            is_socket = False
        if is_socket or name.endswith(".sock"):
            print("ESCALATED socket file", full, flush=True)
print("probes done", flush=True)
for name in ("/dev/kmsg", "/dev/mem", "/dev/sda", "/proc/kcore", "/sys/kernel/security"):
    try:
        open(name, "rb").read(1)
        print("ESCALATED read", name, flush=True)
    except OSError:
        pass
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
