# Invalid UTF-8, NUL bytes, lone surrogates' encodings and overlong forms, then the work.
import os
os.write(1, b"\xff\xfe\x00bad\x00bytes\x00\n\xc3\x28\xa0\xa1\n\xed\xa0\x80\xc0\xaf\xf8\x88\x80\x80\x80\n")
os.write(2, b"\x00\x00\xff stderr \xfe\n")
os.write(1, b"hello\x00os\n")

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
