"""`grader batch` on the real engine: a class with good, faulty and unsafe submissions, killed and resumed."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "fork-hello" / "assignment.yaml"
SOLUTION = ROOT / "assignments" / "fork-hello" / "solution" / "hello.py"
FAULTY = sorted((ROOT / "assignments" / "fork-hello" / "faulty").glob("*.py"))


def make_class(folder: Path) -> Path:
    folder.mkdir()
    sources = [SOLUTION, *FAULTY, SOLUTION]
    for i, source in enumerate(sources):
        student = folder / f"student{i}"
        student.mkdir()
        (student / "hello.py").write_text(source.read_text() + f"\n# {i}\n")
    with zipfile.ZipFile(folder / "zipped.zip", "w") as archive:
        archive.writestr("hello.py", SOLUTION.read_text())
    with zipfile.ZipFile(folder / "slipper.zip", "w") as archive:
        archive.writestr("../../evil.py", "print('escaped')\n")
    return folder


def batch(submissions: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "batch", str(ASSIGNMENT), str(submissions), "--out", str(out),
         "--repeat", "1", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def graded_rows(out: Path) -> int:
    db = out / "results.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.Error:
        return 0


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return sorted(csv.DictReader(fh), key=lambda row: row["student"])


def test_batch_killed_and_resumed_matches_uninterrupted(tmp_path):
    submissions = make_class(tmp_path / "class")
    expected_students = len(list(submissions.iterdir()))

    whole = tmp_path / "whole"
    proc = batch(submissions, whole, "-j", "2")
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out.decode()
    reference = read_csv(whole / "grades.csv")
    assert len(reference) == expected_students
    by_student = {row["student"]: row for row in reference}
    assert float(by_student["student0"]["score"]) == float(by_student["student0"]["max_score"])
    assert float(by_student["slipper"]["score"]) == 0
    assert (whole / "index.html").is_file()
    assert (whole / "students" / "student0").is_dir()

    interrupted = tmp_path / "interrupted"
    proc = batch(submissions, interrupted, "-j", "1")
    deadline = time.monotonic() + 300
    while graded_rows(interrupted) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = graded_rows(interrupted)
    assert 2 <= partial < expected_students, "the kill must land mid-batch"

    proc = batch(submissions, interrupted, "-j", "2")
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out.decode()
    assert graded_rows(interrupted) == expected_students, "nothing lost, nothing duplicated"
    resumed = read_csv(interrupted / "grades.csv")
    assert resumed == reference
