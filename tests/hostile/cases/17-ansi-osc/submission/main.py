# Terminal escape sequences: clear screen, set title, hyperlink, cursor moves, bell; in a failing run.
import os
os.write(1, b"\x1b[2J\x1b[H\x1b]0;PWNED-TITLE\x07\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\\n")
os.write(1, b"\x1b[31mred\x1b[0m \x1b[1A\x1b[999D\x1bP+q\x1b\\ \x9b31m \x07\x08\x08\n")
os.write(2, b"\x1b]52;c;cHduZWQ=\x07\n")
print("hello os", flush=True)
