"""`grader run` and `grader batch` exit codes on real submissions in the real sandbox (README, 'Exit codes'):
the fork-hello reference (0), one faulty solution (1), one corrupt zip (3); a batch holding all three (3)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.engine]

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "fork-hello" / "assignment.yaml"
SOLUTION = ROOT / "assignments" / "fork-hello" / "solution" / "hello.py"
FAULTY = ROOT / "assignments" / "fork-hello" / "faulty" / "no_wait.py"
CORRUPT = b"PK\x03\x04\x14\x00\x00\x00 a zip whose central directory never comes"


def grader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], check=False, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def test_run_exit_codes(tmp_path: Path) -> None:
    # The reference zipped on stdin ('-'), its JSON result on stdout ('--json -'), the summary on stderr.
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("hello.py", SOLUTION.read_bytes())
    full = subprocess.run([sys.executable, "-m", "grader.cli", "run", str(ASSIGNMENT), "-", "--repeat", "1",
                           "--json", "-"], check=False, capture_output=True, timeout=300, cwd=ROOT,
                          input=zipped.getvalue())
    assert full.returncode == 0, full.stdout + full.stderr
    result = json.loads(full.stdout)
    assert result["score"] == result["max_score"] > 0 and b"hello" in full.stderr.lower()

    below = grader("run", str(ASSIGNMENT), str(FAULTY), "--repeat", "1")
    assert below.returncode == 1, below.stdout + below.stderr

    corrupt = tmp_path / "s24_tom.zip"
    corrupt.write_bytes(CORRUPT)
    refused = grader("run", str(ASSIGNMENT), str(corrupt))
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "error:" in refused.stderr and "Traceback" not in refused.stderr


def test_batch_exit_codes(tmp_path: Path) -> None:
    subs = tmp_path / "class"
    for student, source in (("ann", SOLUTION), ("ben", FAULTY)):
        (subs / student).mkdir(parents=True)
        shutil.copy(source, subs / student / "hello.py")
    (subs / "tom.zip").write_bytes(CORRUPT)
    out = tmp_path / "out"

    def batch() -> subprocess.CompletedProcess[str]:
        return grader("-q", "batch", str(ASSIGNMENT), str(subs), "--out", str(out), "--repeat", "1", "-j", "2")

    everyone = batch()
    assert everyone.returncode == 3, everyone.stdout + everyone.stderr
    assert "1 refused at intake" in everyone.stdout and "grading " not in everyone.stderr   # -q: no progress line
    (subs / "tom.zip").unlink()                            # the rest is reused from the store, nothing regraded
    below = batch()
    assert below.returncode == 1 and "2 already graded" in below.stdout, below.stdout + below.stderr
    shutil.rmtree(subs / "ben")
    assert batch().returncode == 0
