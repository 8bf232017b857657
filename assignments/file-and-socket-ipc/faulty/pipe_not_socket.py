"""Faulty: part 2 uses two pipes instead of a socket. It works, but it is not what was asked."""

import os

pid = os.fork()
if pid == 0:
    with open("result.txt", "w") as out:
        out.write("42\n")
    os._exit(0)
os.waitpid(pid, 0)
with open("result.txt") as src:
    print(f"file: {src.read().strip()}", flush=True)

to_parent_r, to_parent_w = os.pipe()
to_child_r, to_child_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(to_parent_r)
    os.close(to_child_w)
    os.write(to_parent_w, b"ping")
    reply = os.read(to_child_r, 4)
    print(f"child got: {reply.decode()}", flush=True)
    os._exit(0)
os.close(to_parent_w)
os.close(to_child_r)
message = os.read(to_parent_r, 4)
print(f"parent got: {message.decode()}", flush=True)
os.write(to_child_w, b"pong")
os.waitpid(pid, 0)
