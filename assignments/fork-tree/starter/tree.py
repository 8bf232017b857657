"""fork-tree: build a process tree of a given shape.

    python3 tree.py chain   ->  root -> child -> grandchild -> great-grandchild (depth 3)
    python3 tree.py fan     ->  root with three children (depth 1)

Every process prints one line:  depth=<d> pid=<pid> ppid=<ppid>
(the root has depth 0). Every parent waits for its own children.
"""

import os
import sys


def chain(depth: int) -> None:
    # TODO: print this process's line, then (unless depth == 3) fork one child
    # that continues the chain one level deeper; wait for it.
    pass


def fan() -> None:
    # TODO: print the root's line, fork three children that each print their
    # line (depth=1) and exit; wait for all three.
    pass


def main() -> None:
    shape = sys.argv[1] if len(sys.argv) > 1 else "chain"
    if shape == "chain":
        chain(0)
    else:
        fan()


if __name__ == "__main__":
    main()
