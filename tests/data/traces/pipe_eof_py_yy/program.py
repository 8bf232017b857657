import os

# Parent writes three messages into a pipe and closes it; the child reads to EOF.
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    data = b""
    while chunk := os.read(r, 64):
        data += chunk
    print(f"child got {len(data)} bytes: {data.decode()!r}", flush=True)
    os._exit(0)
os.close(r)
for i in range(3):
    os.write(w, f"msg{i};".encode())
os.close(w)
os.waitpid(pid, 0)
print("parent done", flush=True)
