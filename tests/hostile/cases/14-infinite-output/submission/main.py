import sys
line = "y" * 200 + "\n"
while True:
    sys.stdout.write(line)
