"""Host scratch folders: one per grader process, so a kill -9'd grader's leftovers can be found and removed."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["alive", "process_dir", "scratch", "sweep_dead"]


def _root() -> Path:
    return Path(tempfile.gettempdir()) / "grader-work"


def process_dir() -> Path:
    """This process's scratch folder (mode 0700), created on use."""
    folder = _root() / f"{socket.gethostname()}-{os.getpid()}"
    for path in (folder.parent, folder):
        path.mkdir(mode=0o700, exist_ok=True)
    return folder


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A fresh folder under this process's scratch folder, removed afterwards with any emptied parents."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=process_dir()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        for parent in (path.parent, path.parent.parent):
            try:
                parent.rmdir()  # only when empty; another grader may be using it
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
