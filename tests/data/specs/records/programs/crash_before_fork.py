import os

config = {"children": 1}
for _ in range(config["childs"]):
    os.fork()
