import os
os.write(2, b"HIJACK json.py imported\n")
raise ImportError("hijack")
