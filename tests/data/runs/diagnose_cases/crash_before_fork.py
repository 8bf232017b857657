import os

counts = {}
print(counts["workers"])
os.fork()
