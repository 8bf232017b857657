import os
import socket

# Relative paths: a FIFO and a socket file made and removed by name, one of them after a chdir,
# and one unix socket file left on disk.
os.mkdir("sub")
os.mkfifo("f")
pid = os.fork()
if pid == 0:
    with open("f", "w") as fifo:
        fifo.write("through the fifo\n")
    os._exit(0)
with open("f") as fifo:
    print("parent got:", fifo.read().strip(), flush=True)
os.waitpid(pid, 0)
os.unlink("f")

os.chdir("sub")
os.mkfifo("g")
os.unlink("g")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("clean.sock")
s.close()
os.unlink("clean.sock")
left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
left.bind("left.sock")
left.close()
print("done", flush=True)
