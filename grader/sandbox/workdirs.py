"""Host scratch folders: one per grader process, so a kill -9'd grader's leftovers can be found and removed."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["alive", "process_dir", "scratch", "sweep_dead"]


def _root() -> Path:
    return Path(tempfile.gettempdir()) / "grader-work"


# Scratch folders in use in this process: its folder (and the shared root, when empty) is removed when the
# last one ends, under the lock that also guards making them, so one thread's clean-up never pulls the folder
# from under another thread about to use it (CI saw FileNotFoundError for /tmp/grader-work/<host>-<pid>).
_LOCK = threading.Lock()
_IN_USE = 0


def _after_fork_in_child() -> None:
    global _LOCK, _IN_USE
    _LOCK = threading.Lock()        # the parent's threads and their folders are not the child's
    _IN_USE = 0


os.register_at_fork(after_in_child=_after_fork_in_child)


def process_dir() -> Path:
    """This process's scratch folder (mode 0700), created on use."""
    folder = _root() / f"{socket.gethostname()}-{os.getpid()}"
    for attempt in range(5):
        try:
            for path in (folder.parent, folder):
                path.mkdir(mode=0o700, exist_ok=True)
            return folder
        except FileNotFoundError:      # another grader removed the empty root between the two mkdirs
            if attempt == 4:
                raise
    return folder


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A fresh folder under this process's scratch folder, removed afterwards; the process's folder and the
    root go too when nothing else of this process uses them (another grader's folder keeps the root)."""
    global _IN_USE
    with _LOCK:
        folder = process_dir()
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
        _IN_USE += 1
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        with _LOCK:
            _IN_USE -= 1
            if _IN_USE == 0:
                for parent in (folder, folder.parent):
                    try:
                        parent.rmdir()   # only when empty: another grader may be using the root
                    except OSError:
                        break


def alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_dead() -> int:
    """Remove the scratch folders of grader processes on this host that no longer exist."""
    removed = 0
    host = socket.gethostname()
    root = _root()
    if not root.is_dir():
        return 0
    for folder in root.iterdir():
        owner_host, _, pid = folder.name.rpartition("-")
        if owner_host == host and pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
