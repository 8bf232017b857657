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
    assert proc.returncode == 3, out.decode()          # slipper.zip is refused: exit 3 (README, Exit codes)
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
    assert proc.returncode == 3, out.decode()
    assert graded_rows(interrupted) == expected_students, "nothing lost, nothing duplicated"
    resumed = read_csv(interrupted / "grades.csv")
    assert resumed == reference


def test_damaged_store_repaired_and_korean_index_on_the_real_engine(tmp_path):
    """A class graded for real, one stored row broken, the file's header clobbered: --repair keeps the
    readable results, the batch regrades only the broken one, and the index is in Korean with title_ko."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, source in (("ann", SOLUTION), ("ben", FAULTY[0])):
        (subs / name).mkdir()
        (subs / name / "hello.py").write_text(source.read_text())
    out = tmp_path / "out"
    first = batch(subs, out, "-j", "2", "--lang", "ko")
    output = first.communicate(timeout=300)[0].decode()
    assert first.returncode in (0, 1) and "2 graded" in output, output
    store = out / "results.sqlite"
    conn = sqlite3.connect(store)
    conn.execute("UPDATE results SET result_json = 'not json' WHERE student = 'ben'")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with store.open("r+b") as fh:
        fh.write(b"CLOBBERED HEADER")

    refused = subprocess.run([sys.executable, "-m", "grader.cli", "report", str(out)], capture_output=True,
                             text=True, timeout=120, check=False)
    assert refused.returncode == 2 and "internal error" not in refused.stderr
    assert str(store) in refused.stderr and "--repair" in refused.stderr

    again = batch(subs, out, "-j", "2", "--lang", "ko", "--repair")
    text = again.communicate(timeout=300)[0].decode()
    assert again.returncode in (0, 1), text
    assert "1 graded, 1 already graded" in text, text
    assert "damaged" in text and "corrupt-" in text
    assert len(list(out.glob("results.sqlite.corrupt-*"))) == 1
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in index and "fork로 프로세스 세 개 만들기" in index
    assert "Pass rate per test" not in index and "테스트" in index
    assert {row["student"] for row in read_csv(out / "grades.csv")} == {"ann", "ben"}
