"""Rosters from each LMS's CSV (by header names, Sniffer dialects, BOMs) and their join to submissions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.intake.roster import join_roster, load_roster, parse_columns


@dataclass
class Sub:
    student: str
    display_name: str
    keys: dict[str, str] = field(default_factory=dict)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_canvas_roster_by_headers_skips_points_possible(tmp_path):
    roster = load_roster(write(tmp_path / "r.csv", "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section\r\n"
                                                   "    Points Possible,,,,\r\n"
                                                   '"Kim, Minsu",12345,202412345,kim@x.kr,OS 001\r\n'
                                                   "김민준,23456,202423456,minjun@x.kr,OS 001\r\n"))
    assert roster.id_column == "SIS User ID" and roster.name_columns == ["Student"]
    assert [(e.id, e.name) for e in roster.entries] == [("202412345", "Kim, Minsu"), ("202423456", "김민준")]


def test_moodle_roster_semicolons_and_first_last(tmp_path):
    roster = load_roster(write(tmp_path / "m.csv", "First name;Last name;ID number;Email address;Username\n"
                                                   "Minsu;Kim;2024001;kim@x.kr;kimminsu\n"
                                                   "민준;김;2024002;minjun@x.kr;minjun\n"))
    assert roster.id_column == "ID number"
    assert [(e.id, e.name) for e in roster.entries] == [("2024001", "Minsu Kim"), ("2024002", "민준 김")]


def test_tab_separated_cp949_roster(tmp_path):
    roster = load_roster(write(tmp_path / "t.csv", "Username\tName\nminjun\t김민준\n", "cp949"))
    assert [(e.id, e.name) for e in roster.entries] == [("minjun", "김민준")]


def test_roster_columns_option(tmp_path):
    path = write(tmp_path / "x.csv", "학번,이름,반\n2024001,김민준,1\n")
    with pytest.raises(UsageError, match="no student id column"):
        load_roster(path)
    roster = load_roster(path, parse_columns("id=학번,name=이름"))
    assert [(e.id, e.name) for e in roster.entries] == [("2024001", "김민준")]
    with pytest.raises(UsageError, match="no column '번호'"):
        load_roster(path, parse_columns("id=번호"))
    with pytest.raises(UsageError, match="takes id=COLUMN"):
        parse_columns("student")


def test_join_by_id_then_name_missing_and_stray(tmp_path):
    roster = load_roster(write(tmp_path / "r.csv", "Student,ID,SIS User ID,SIS Login ID,Section\n"
                                                   '"Kim, Minsu",12345,,kim@x.kr,A\n'
                                                   "김민준,23456,,,A\n"
                                                   '"Park, Seoyeon",45678,,,A\n'
                                                   '"Lee, Jiho",34567,,,A\n'))
    subs = [Sub("kimminsu", "kimminsu", {"user_id": "12345"}),      # Canvas: by ID
            Sub("Lee_Jiho_103", "Jiho Lee", {"participant_id": "103"}),  # Moodle: by name in any order
            Sub("김민준", "김민준", {"login": "김민준"}),                 # by name
            Sub("choiwoo", "choiwoo", {"user_id": "56789"})]          # on no roster
    match = join_roster(roster, subs)
    assert {s: e.id for s, e in match.by_student.items()} == {"kimminsu": "12345", "Lee_Jiho_103": "34567",
                                                               "김민준": "23456"}
    assert [e.name for e in match.missing] == ["Park, Seoyeon"]
    assert match.unrostered == ["choiwoo"]
