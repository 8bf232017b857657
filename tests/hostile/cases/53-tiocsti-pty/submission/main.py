# Two children push "hello os\n" into the terminal with TIOCSTI: the line discipline echoes the
# bytes to the output with no write() in the trace. The parent writes one line itself. Refused,
# the children say so and stdout holds one line.
import fcntl, os, termios
children = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        try:
            for byte in b"hello os\n":
                fcntl.ioctl(1, termios.TIOCSTI, bytes([byte]))
        except OSError as exc:
            os.write(2, f"TIOCSTI refused: {exc.strerror}\n".encode())
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
print("hello os", flush=True)
