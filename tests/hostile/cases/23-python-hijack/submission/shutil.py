import os
os.write(2, b"HIJACK shutil.py imported\n")
raise ImportError("hijack")
