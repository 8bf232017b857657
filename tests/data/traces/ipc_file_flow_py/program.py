import os

# A file as the channel: the parent writes it, a child reads it and writes a reply file the parent reads.
with open("request.txt", "w") as f:
    f.write("numbers 1 2 3\n")
pid = os.fork()
if pid == 0:
    with open("request.txt") as f:
        numbers = [int(x) for x in f.read().split()[1:]]
    with open("reply.txt", "w") as f:
        f.write(f"sum {sum(numbers)}\n")
    os._exit(0)
os.waitpid(pid, 0)
with open("reply.txt") as f:
    print("parent read:", f.read().strip(), flush=True)
