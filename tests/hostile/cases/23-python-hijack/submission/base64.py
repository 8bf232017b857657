import os
os.write(2, b"HIJACK base64.py imported\n")
raise ImportError("hijack")
