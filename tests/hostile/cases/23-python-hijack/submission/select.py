import os
os.write(2, b"HIJACK select.py imported\n")
raise ImportError("hijack")
