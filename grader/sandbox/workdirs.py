"""Host scratch folders: one per grader process, so a kill -9'd grader's leftovers can be found and removed."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

__all__ = ["alive", "process_dir", "sweep_dead"]


def _root() -> Path:
    root = Path(tempfile.gettempdir()) / "grader-work"
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def process_dir() -> Path:
    """This process's scratch folder (mode 0700), created on first use."""
    folder = _root() / f"{socket.gethostname()}-{os.getpid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


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
    for folder in _root().iterdir():
        owner_host, _, pid = folder.name.rpartition("-")
        if owner_host == host and pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
