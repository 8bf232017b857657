"""Scratch folders under threads and processes: one thread's clean-up never pulls the folder from under
another (CI saw FileNotFoundError for /tmp/grader-work/<host>-<pid> with validate's two threads), nothing is
left once the last one ends, and a dead grader's folder is swept while a live one's is kept."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from grader.sandbox import workdirs


@pytest.fixture()
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(workdirs, "_root", lambda: tmp_path / "grader-work")
    return tmp_path / "grader-work"


def test_many_threads_making_and_removing_scratch_folders_never_lose_the_parent(root: Path) -> None:
    failures: list[BaseException] = []

    def churn() -> None:
        try:
            for _ in range(300):
                with workdirs.scratch("run-") as path:
                    (path / "x").write_text("x", encoding="utf-8")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            failures.append(exc)

    threads = [threading.Thread(target=churn) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert not root.exists()       # the last one out removed the process's folder and the empty root


def test_a_dead_graders_folder_is_swept_and_a_live_ones_is_kept(root: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    gone = root / f"{host}-{int(dead.stdout)}"
    mine = workdirs.process_dir()
    gone.mkdir(parents=True)
    assert workdirs.sweep_dead() == 1
    assert not gone.exists() and mine.is_dir()


def test_another_graders_folder_keeps_the_root(root: Path) -> None:
    other = root / f"{socket.gethostname()}-1"       # pid 1: alive, so never swept
    other.mkdir(parents=True)
    with workdirs.scratch("run-") as path:
        assert path.parent.parent == root
    assert root.is_dir() and list(root.iterdir()) == [other]
