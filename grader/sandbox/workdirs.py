"""Host scratch folders: one per grader process, so a kill -9'd grader's leftovers can be found and removed."""

from __future__ import annotations

import atexit
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


_CLEANUP: set[int] = set()      # the pids that registered their folder's removal at exit


def process_dir() -> Path:
    """This process's scratch folder (mode 0700), created on use and removed when the process exits (a
    process killed first leaves it to `sweep_dead`). Neither it nor the shared root is removed while the
    process lives: a thread emptying it must not pull it from under another thread about to use it."""
    pid = os.getpid()
    folder = _root() / f"{socket.gethostname()}-{pid}"
    for attempt in range(5):
        try:
            for path in (folder.parent, folder):
                path.mkdir(mode=0o700, exist_ok=True)
            break
        except FileNotFoundError:      # an older grader removed the empty root between the two mkdirs
            if attempt == 4:
                raise
    if pid not in _CLEANUP:
        _CLEANUP.add(pid)
        atexit.register(_remove_own, folder, pid)
    return folder


def _remove_own(folder: Path, pid: int) -> None:
    if os.getpid() == pid:            # a forked child inherits the handler, not the folder
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A fresh folder under this process's scratch folder, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=process_dir()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


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
