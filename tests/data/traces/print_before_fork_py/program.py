import os

# Bug: the line is still in the stdio buffer at fork, so both processes print it.
print("before fork")
pid = os.fork()
if pid == 0:
    print("child")
else:
    os.waitpid(pid, 0)
    print("parent")
