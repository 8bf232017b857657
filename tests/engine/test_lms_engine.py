"""`grader batch` on the real engine for each LMS's download (made by tests/data/lms/make_downloads.py):
every correct solution gets full marks whatever its LMS name, the faulty one does not, and with a roster
the exports hold the absent student (0) and the stray submission."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "fork-hello" / "assignment.yaml"
_spec = importlib.util.spec_from_file_location("make_downloads", ROOT / "tests" / "data" / "lms" / "make_downloads.py")
assert _spec and _spec.loader
make = importlib.util.module_from_spec(_spec)
sys.modules["make_downloads"] = make
_spec.loader.exec_module(make)


def batch(submissions: Path, out: Path, *extra: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", "batch", str(ASSIGNMENT), str(submissions), "--out", str(out),
         "--repeat", "1", "-j", "2", *extra], check=False, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 1, proc.stdout + proc.stderr   # leejiho is faulty: below full marks (README, Exit codes)
    return proc.stdout + proc.stderr


def results(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in (out / "students").glob("*/result.json")}


def read_back(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def full(result: dict) -> bool:
    return result["error"] is None and result["score"] == result["max_score"] > 0


LAYOUTS = {
    "canvas": (lambda d: make.make_canvas(d / "c"), ["--layout", "canvas"],
               {"kimminsu": True, "김민준": True, "leejiho": False},
               ("김민준", "김민준_LATE_23456_67891_hello-1.py was taken as hello.py (Canvas adds -1 to a resubmitted file)")),
    # layout: (maker, extra args, {student id: correct?}, a note one correct student's result carries)
    "moodle": (lambda d: make._zip(make.make_moodle(d / "m"), d / "moodle.zip"), [],
               {"Kim_Minsu_101": True, "김민준_102": True, "Lee_Jiho_103": False}, None),
    "blackboard": (lambda d: make.make_blackboard(d / "bb"), [],
                   {"kimminsu": True, "minjun": True, "leejiho": False},
                   ("kimminsu", "Fork Hello_kimminsu_attempt_2024-03-01-23-59-59_hello.py was taken as hello.py")),
    "gradescope": (lambda d: make.make_gradescope(d / "gs.zip"), [],
                   {"12345": True, "23456": True, "34567": False}, None),
    "classroom": (lambda d: make.make_classroom(d / "cr"), ["--deadline", make.DEADLINE],
                  {"kimminsu": True, "김민준": True, "leejiho": False},
                  ("kimminsu", "(the last one before 2024-03-01T23:59:59+09:00)")),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_lms_download_graded_end_to_end(tmp_path, layout):
    maker, extra, expected, note = LAYOUTS[layout]
    out = tmp_path / "out"
    batch(maker(tmp_path), out, *extra)
    graded = results(out)
    assert {s: full(r) for s, r in graded.items()} == expected
    assert json.loads((out / "lms.json").read_text(encoding="utf-8"))["layout"] == layout
    if note:
        student, text = note
        assert any(text in d["message"] for d in graded[student]["diagnoses"])


def test_canvas_zip_with_roster_and_every_export(tmp_path):
    folder = make.make_canvas(tmp_path / "canvas", [*make.CLASS, make.STRAY])
    submissions = make._zip(folder, tmp_path / "submissions.zip")
    roster = make.write_canvas_roster(tmp_path / "roster.csv", [*make.CLASS, make.ABSENT])
    out = tmp_path / "out"
    log = batch(submissions, out, "--layout", "auto", "--roster", str(roster),
                "--export", "canvas", "--export", "moodle", "--export", "blackboard", "--export", "csv")
    graded = results(out)
    assert {s: full(r) for s, r in graded.items()} == {"kimminsu": True, "김민준": True, "leejiho": False,
                                                        "choiwoo": True}
    assert any(d["message"] == "kimminsu_12345_67890_hello.py was taken as hello.py"
               for d in graded["kimminsu"]["diagnoses"])
    assert "1 students on the roster have no submission (0 in the gradebook): Park, Seoyeon" in log
    assert "1 submissions match no roster entry" in log and "choiwoo" in log

    title = "Fork into three processes"
    points = str(int(graded["kimminsu"]["max_score"]))
    low = f"{round(graded['leejiho']['score'], 4):g}"
    assert read_back(out / "gradebook-canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title],
        ["    Points Possible", "", "", "", "", points],
        ["Kim, Minsu", "12345", "202412345", "kimminsu@example.ac.kr", "OS 001", points],
        ["김, 민준", "23456", "202423456", "minjun@example.ac.kr", "OS 001", points],
        ["Lee, Jiho", "34567", "202434567", "leejiho@example.ac.kr", "OS 001", low],
        ["Park, Seoyeon", "45678", "202445678", "parkseo@example.ac.kr", "OS 001", "0"],
        ["choiwoo", "56789", "", "", "", points],
    ]
    moodle = read_back(out / "gradebook-moodle.csv")
    assert moodle[0] == ["Email address", title]   # the roster has no Email address column: nothing better
    blackboard = read_back(out / "gradebook-blackboard.csv")
    assert blackboard[0] == ["Username", f"{title} [Total Pts: {points} Score]"]
    generic = read_back(out / "gradebook.csv")
    assert [r[:5] for r in generic[1:]] == [
        ["kimminsu", "Kim, Minsu", "202412345", "graded", points],
        ["김민준", "김, 민준", "202423456", "graded", points],
        ["leejiho", "Lee, Jiho", "202434567", "graded", low],
        ["", "Park, Seoyeon", "202445678", "missing", "0"],
        ["choiwoo", "choiwoo", "", "graded", points],
    ]
    # `grader report` rewrites the same gradebooks from the store.
    before = (out / "gradebook-canvas.csv").read_bytes()
    (out / "gradebook-canvas.csv").unlink()
    subprocess.run([sys.executable, "-m", "grader.cli", "report", str(out)], check=True, capture_output=True,
                   cwd=ROOT)
    assert (out / "gradebook-canvas.csv").read_bytes() == before
