import os
block = b"e" * 4000 + b"\n"
while True:
    os.write(2, block)
