import os
os.write(2, b"HIJACK signal.py imported\n")
raise ImportError("hijack")
