import os
# three processes each write a fragment of every "hello os" line, in turn
r1, w1 = os.pipe()
r2, w2 = os.pipe()
r0, w0 = os.pipe()
pids = []
for i, (rd, wr, piece) in enumerate([(r1, w2, b"lo "), (r2, w0, b"os\n")]):
    pid = os.fork()
    if pid == 0:
        for _ in range(3):
            os.read(rd, 1)
            os.write(1, piece)
            os.write(wr, b"x")
        os._exit(0)
    pids.append(pid)
for _ in range(3):
    os.write(1, b"hel")
    os.write(w1, b"x")
    os.read(r0, 1)
for pid in pids:
    os.waitpid(pid, 0)
