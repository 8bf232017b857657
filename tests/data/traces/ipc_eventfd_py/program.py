import os

# An eventfd as a signal from child to parent: the child adds 5, the parent reads the count.
efd = os.eventfd(0)
other = os.eventfd(0)  # a second eventfd nobody uses across processes
pid = os.fork()
if pid == 0:
    os.eventfd_write(efd, 5)
    os._exit(0)
print("parent read", os.eventfd_read(efd), flush=True)
os.eventfd_write(other, 1)
os.waitpid(pid, 0)
