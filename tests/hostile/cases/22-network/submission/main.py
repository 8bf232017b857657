# DNS, an outside address (TEST-NET 192.0.2.1, never a real host), UDP, raw and packet sockets,
# interfaces: all must fail. Loopback inside the sandbox must work. Then the work.
import os, socket
def attempt(what, fn):
    try:
        fn()
        print("NET-OK", what, flush=True)
    except OSError as exc:
        print("failed", what, type(exc).__name__, flush=True)
attempt("dns example.com", lambda: socket.getaddrinfo("example.com", 80))
attempt("dns localhost-free", lambda: socket.gethostbyname("grader-test.invalid"))
attempt("tcp 192.0.2.1:80", lambda: socket.create_connection(("192.0.2.1", 80), timeout=0.5))
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("192.0.2.1", 53))
attempt("udp 192.0.2.1:53", udp)
attempt("raw icmp", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
attempt("packet socket", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))
attempt("tcp6 2001:db8::1", lambda: socket.create_connection(("2001:db8::1", 80), timeout=0.5))
ifaces = [line.split(":")[0].strip() for line in open("/proc/net/dev").read().splitlines()[2:]]
print("interfaces", ifaces, flush=True)
for name in ifaces:
    if name != "lo":
        print("NET-OK interface", name, flush=True)
server = socket.socket()
server.bind(("0.0.0.0", 8080))
server.listen()
client = socket.create_connection(("127.0.0.1", 8080), timeout=1)
conn, _ = server.accept()
client.sendall(b"ping")
print("loopback works" if conn.recv(4) == b"ping" else "loopback broken", flush=True)
conn.close(); client.close(); server.close()
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
