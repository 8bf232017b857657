import os
os.write(2, b"HIJACK subprocess.py imported\n")
raise ImportError("hijack")
