"""The gradebooks Canvas, Moodle and Blackboard import, re-read with the csv module: exact columns and rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.batch.gradebook import LMS_EXPORT_FILES, write_lms_exports, write_lms_manifest
from grader.batch.store import StoredResult
from grader.intake.lms import LmsEntry
from grader.intake.roster import load_roster
from grader.result import Result
from grader.result import TestResult as TResult

TITLE = "Fork into three processes"


def stored(student: str, score: float, tests: dict[str, float], outcome: str = "graded") -> StoredResult:
    result = Result(assignment_id="fork-hello", assignment_title=TITLE, submission=student, score=score,
                    max_score=4.0 if outcome == "graded" else 0.0,
                    tests=[TResult(name=n, status="passed" if s else "failed", score=s, max_score=2.0)
                           for n, s in tests.items()])
    return StoredResult(student=student, submission_hash="h", assignment_hash="a", grader_version="v",
                        outcome=outcome, result=result)  # type: ignore[arg-type]


def read_back(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel shows Hangul"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def make_batch(tmp_path: Path, exports: list[str]) -> list[str]:
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Email address,Username\n"
                           '"Kim, Minsu",12345,202412345,kimminsu,OS 001,kim@x.kr,kimminsu\n'
                           "김민준,23456,202423456,minjun,OS 002,minjun@x.kr,minjun\n"
                           '"Park, Seoyeon",45678,202445678,parkseo,OS 001,park@x.kr,parkseo\n', encoding="utf-8")
    entries = [LmsEntry("kimminsu", "kimminsu", tmp_path, "canvas", keys={"login": "kimminsu", "user_id": "12345"},
                        notes=["kimminsu_12345_67890_hello.py was taken as hello.py"]),
               LmsEntry("김민준", "김민준", tmp_path, "canvas", keys={"login": "김민준", "user_id": "23456"}, late=True),
               LmsEntry("choiwoo", "choiwoo", tmp_path, "canvas", keys={"login": "choiwoo", "user_id": "56789"})]
    write_lms_manifest(tmp_path, layout="canvas", entries=entries, roster=load_roster(roster_path),
                       exports=exports, title=TITLE)
    return write_lms_exports(tmp_path, [
        stored("kimminsu", 4, {"prints": 2, "waits": 2}),
        stored("김민준", 2, {"prints": 2, "waits": 0}),
        stored("choiwoo", 0, {}, outcome="rejected"),
    ])


def test_canvas_import_columns(tmp_path):
    warnings = make_batch(tmp_path, ["canvas"])
    assert read_back(tmp_path / LMS_EXPORT_FILES["canvas"]) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", TITLE],
        ["    Points Possible", "", "", "", "", "4"],
        ["Kim, Minsu", "12345", "202412345", "kimminsu", "OS 001", "4"],
        ["김민준", "23456", "202423456", "minjun", "OS 002", "2"],
        ["Park, Seoyeon", "45678", "202445678", "parkseo", "OS 001", "0"],   # on the roster, no submission
        ["choiwoo", "56789", "", "", "", "0"],                               # submitted, not on the roster
    ]
    assert any("1 students on the roster have no submission (0 in the gradebook): Park, Seoyeon" in w
               for w in warnings)
    assert any("1 submissions match no roster entry" in w and "choiwoo" in w for w in warnings)


def test_moodle_import_columns(tmp_path):
    warnings = make_batch(tmp_path, ["moodle"])
    assert read_back(tmp_path / LMS_EXPORT_FILES["moodle"]) == [
        ["Email address", TITLE],
        ["kim@x.kr", "4"], ["minjun@x.kr", "2"], ["park@x.kr", "0"],   # choiwoo has no email: left out
    ]
    assert any("1 students are left out of gradebook-moodle.csv: Moodle has no user to match them to "
               "(add them to the roster): choiwoo" in w for w in warnings)


def test_blackboard_upload_columns(tmp_path):
    warnings = make_batch(tmp_path, ["blackboard"])
    assert not any("left out" in w for w in warnings)
    assert read_back(tmp_path / LMS_EXPORT_FILES["blackboard"]) == [
        ["Username", f"{TITLE} [Total Pts: 4 Score]"],
        ["kimminsu", "4"], ["minjun", "2"], ["parkseo", "0"], ["choiwoo", "0"],
    ]


def test_generic_csv_keeps_tests_and_notes(tmp_path):
    make_batch(tmp_path, ["csv"])
    rows = read_back(tmp_path / LMS_EXPORT_FILES["csv"])
    assert rows[0] == ["student", "name", "roster_id", "status", "score", "max_score", "prints", "waits", "notes"]
    assert rows[1] == ["kimminsu", "Kim, Minsu", "202412345", "graded", "4", "4", "2", "2",
                       "kimminsu_12345_67890_hello.py was taken as hello.py"]
    assert rows[2] == ["김민준", "김민준", "202423456", "graded", "2", "4", "2", "0", ""]
    assert rows[3] == ["", "Park, Seoyeon", "202445678", "missing", "0", "4", "", "",
                       "no submission was found for this student"]
    assert rows[4] == ["choiwoo", "choiwoo", "", "refused", "0", "4", "", "", ""]


def test_no_manifest_no_exports(tmp_path):
    assert write_lms_exports(tmp_path, [stored("a", 1, {})]) == []
    assert not any(tmp_path.glob("gradebook*.csv"))


def test_existing_columns_of_an_lms_export_are_reused(tmp_path):
    from grader.report.lms import existing_column

    headers = ["Student", "ID", f"{TITLE} (98765)", f"{TITLE} [Total Pts: 4 Score] |112233", "Other (1)"]
    assert existing_column("canvas", TITLE, headers) == f"{TITLE} (98765)"
    assert existing_column("blackboard", TITLE, headers) == "112233"
    assert existing_column("canvas", "Another", headers) is None


def test_canvas_export_updates_the_rosters_assignment_column(tmp_path):
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text(f"Student,ID,SIS User ID,SIS Login ID,Section,{TITLE} (98765)\n"
                           "    Points Possible,,,,,4\n"
                           '"Kim, Minsu",12345,202412345,kimminsu,OS 001,\n', encoding="utf-8")
    write_lms_manifest(tmp_path, layout="canvas", roster=load_roster(roster_path), exports=["canvas", "blackboard"],
                       title=TITLE, entries=[LmsEntry("kimminsu", "kimminsu", tmp_path, "canvas",
                                                      keys={"user_id": "12345"})])
    write_lms_exports(tmp_path, [stored("kimminsu", 4, {"prints": 2, "waits": 2})])
    assert read_back(tmp_path / LMS_EXPORT_FILES["canvas"])[0][-1] == f"{TITLE} (98765)"
    assert read_back(tmp_path / LMS_EXPORT_FILES["blackboard"])[0] == ["Username", f"{TITLE} [Total Pts: 4 Score]"]
