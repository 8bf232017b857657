"""pipe-message reference: each side closes the end it does not use."""

import os


def main() -> None:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os.write(write_end, f"hello from child {os.getpid()}".encode())
        os.close(write_end)
        os._exit(0)

    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 1024)
        if not chunk:               # end-of-file: no write end is open any more
            break
        chunks.append(chunk)
    os.close(read_end)
    print(f"parent got: {b''.join(chunks).decode()}", flush=True)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
