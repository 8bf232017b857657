"""Each LMS layout's parser on names made by tests/data/lms/make_downloads.py (and on hand-picked edge names)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.intake.lms import (
    detect_layout,
    discover_class,
    parse_blackboard_name,
    parse_canvas_name,
    parse_moodle_name,
)
from grader.submission import intake

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("make_downloads", ROOT / "tests" / "data" / "lms" / "make_downloads.py")
assert _spec and _spec.loader
make = importlib.util.module_from_spec(_spec)
sys.modules["make_downloads"] = make
_spec.loader.exec_module(make)

REQUIRED = ["hello.py"]


def read(path: Path, tmp: Path, **kw):
    layout, entries = discover_class(path, work_dir=tmp / "work", required=REQUIRED, **kw)
    return layout, {e.student: e for e in entries}


def taken_in(entry, tmp: Path) -> dict[str, str]:
    """The files the batch grades: the entry's path through grader.submission.intake."""
    sub = intake(entry.path, tmp / "in", student=entry.student)
    return {f: (sub.path / f).read_text(encoding="utf-8") for f in sub.files}


@pytest.mark.parametrize(("name", "expected"), [
    ("kimminsu_12345_67890_relay.py", {"login": "kimminsu", "user_id": "12345", "file_id": "67890",
                                       "file": "relay.py", "late": ""}),
    ("kimminsu_late_12345_67890_relay-2.py", {"login": "kimminsu", "user_id": "12345", "file_id": "67890",
                                              "file": "relay-2.py", "late": "1"}),
    ("김민준_23456_1_my file_v2.py", {"login": "김민준", "user_id": "23456", "file_id": "1",
                                     "file": "my file_v2.py", "late": ""}),
    ("kimminsu_LATE_12345_67890_hello.py", {"login": "kimminsu", "user_id": "12345", "file_id": "67890",
                                            "file": "hello.py", "late": "1"}),
    ("anon_Xy3zQ_67890_hello.py", {"login": "anon_Xy3zQ", "user_id": "anon_Xy3zQ", "file_id": "67890",
                                   "file": "hello.py", "late": ""}),
    ("LATE_anon_Xy3zQ_67890_hello.py", {"login": "anon_Xy3zQ", "user_id": "anon_Xy3zQ", "file_id": "67890",
                                        "file": "hello.py", "late": "1"}),
    ("kimminsu_12345_text.html", None),
    ("hello.py", None),
    ("kimminsu_hello.py", None),
])
def test_canvas_names(name, expected):
    assert parse_canvas_name(name) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("Kim Minsu_12345_assignsubmission_file_", ("Kim Minsu", "12345", "file", "")),
    ("김 민준_7_assignsubmission_file_", ("김 민준", "7", "file", "")),
    ("Lee Jiho_9_assignsubmission_onlinetext_", ("Lee Jiho", "9", "onlinetext", "")),
    ("Kim Minsu_12345_assignsubmission_file_hello.py", ("Kim Minsu", "12345", "file", "hello.py")),
    ("Kim Minsu", None),
])
def test_moodle_names(name, expected):
    parsed = parse_moodle_name(name)
    assert (parsed and (parsed["name"], parsed["participant_id"], parsed["plugin"], parsed["file"])) == \
        (expected or None)


@pytest.mark.parametrize(("name", "expected"), [
    ("Fork Hello_kimminsu_attempt_2024-01-31-23-59-59_hello.py", ("Fork Hello", "kimminsu", "hello.py", "")),
    ("Fork Hello_kimminsu_attempt_2024-01-31-23-59-59.txt", ("Fork Hello", "kimminsu", "", "1")),
    ("HW 1_fork_minjun_attempt_2024-01-31-23-59-59_my hello.py", ("HW 1_fork", "minjun", "my hello.py", "")),
    ("Fork Hello_kimminsu_2024-01-31_hello.py", None),
])
def test_blackboard_names(name, expected):
    parsed = parse_blackboard_name(name)
    assert (parsed and (parsed["assignment"], parsed["username"], parsed["file"], parsed["receipt"])) == \
        (expected or None)


@pytest.mark.parametrize("zipped", [False, True])
def test_canvas_download(tmp_path, zipped):
    folder = make.make_canvas(tmp_path / "canvas")
    source = make._zip(folder, tmp_path / "submissions.zip") if zipped else folder
    layout, entries = read(source, tmp_path)
    assert layout == "canvas"
    assert sorted(entries) == ["kimminsu", "leejiho", "김민준"]
    kim = entries["kimminsu"]
    assert kim.keys["user_id"] == "12345" and not kim.late
    assert kim.notes == ["kimminsu_12345_67890_hello.py was taken as hello.py"]
    assert taken_in(kim, tmp_path) == {"hello.py": make.SOLUTION}
    minjun = entries["김민준"]
    assert minjun.late and "Canvas marked this submission late" in minjun.notes
    assert "김민준_LATE_23456_67891_hello-1.py was taken as hello.py (Canvas adds -1 to a resubmitted file)" \
        in minjun.notes
    assert taken_in(minjun, tmp_path) == {"hello.py": make.SOLUTION}
    assert taken_in(entries["leejiho"], tmp_path) == {"hello.py": make.FAULTY}


def test_canvas_newest_resubmission_wins(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "kim_1_10_hello.py").write_text("old")
    (folder / "kim_1_11_hello-2.py").write_text("newest")
    (folder / "kim_1_12_hello-1.py").write_text("middle")
    (folder / "kim_1_13_notes.txt").write_text("n")
    _layout, entries = read(folder, tmp_path)
    assert taken_in(entries["kim"], tmp_path) == {"hello.py": "newest", "notes.txt": "n"}


def test_resubmission_suffix_kept_when_it_is_not_a_required_file(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "kim_1_10_hello.py").write_text("x")
    (folder / "kim_1_10_test-1.py").write_text("y")
    _layout, entries = read(folder, tmp_path)
    assert set(taken_in(entries["kim"], tmp_path)) == {"hello.py", "test-1.py"}


@pytest.mark.parametrize("zipped", [False, True])
def test_moodle_download(tmp_path, zipped):
    folder = make.make_moodle(tmp_path / "moodle")
    source = make._zip(folder, tmp_path / "moodle.zip") if zipped else folder
    layout, entries = read(source, tmp_path)
    assert layout == "moodle"
    assert {e.display_name: e.keys["participant_id"] for e in entries.values()} == \
        {"Kim Minsu": "101", "김민준": "102", "Lee Jiho": "103"}
    kim = entries["Kim_Minsu_101"]
    assert taken_in(kim, tmp_path) == {"hello.py": make.SOLUTION}   # online text is not code


def test_blackboard_download_latest_attempt_and_receipt_name(tmp_path):
    layout, entries = read(make.make_blackboard(tmp_path / "bb"), tmp_path)
    assert layout == "blackboard"
    assert sorted(entries) == ["kimminsu", "leejiho", "minjun"]
    assert entries["minjun"].display_name == "김민준"
    kim = entries["kimminsu"]
    assert kim.notes[0] == "the attempt of 2024-03-01-23-59-59 was graded; 1 earlier attempt(s) were not"
    assert "Fork Hello_kimminsu_attempt_2024-03-01-23-59-59_hello.py was taken as hello.py" in kim.notes
    assert taken_in(kim, tmp_path) == {"hello.py": make.SOLUTION}


def test_gradescope_export(tmp_path):
    layout, entries = read(make.make_gradescope(tmp_path / "gs.zip"), tmp_path)
    assert layout == "gradescope"
    assert {s: (e.display_name, e.keys["email"]) for s, e in entries.items()} == {
        "12345": ("Kim Minsu", "kimminsu@example.ac.kr"), "23456": ("김민준", "minjun@example.ac.kr"),
        "34567": ("Lee Jiho", "leejiho@example.ac.kr")}
    assert taken_in(entries["34567"], tmp_path) == {"hello.py": make.FAULTY}


def test_classroom_deadline_takes_the_last_commit_before_it(tmp_path):
    folder = make.make_classroom(tmp_path / "classroom")
    layout, entries = read(folder, tmp_path, deadline=make.DEADLINE)
    assert layout == "classroom"
    assert sorted(entries) == ["kimminsu", "leejiho", "김민준"]
    assert taken_in(entries["kimminsu"], tmp_path) == {"hello.py": make.SOLUTION}
    _layout, latest = read(folder, tmp_path / "latest")
    assert taken_in(latest["kimminsu"], tmp_path / "l") == {"hello.py": make.FAULTY}
    _layout, early = read(folder, tmp_path / "early", deadline="2024-01-01")
    assert "before 2024-01-01; nothing was graded" in early["kimminsu"].notes[0]


def test_plain_class_folder_stays_folders(tmp_path):
    folder = tmp_path / "class"
    (folder / "student0").mkdir(parents=True)
    (folder / "student0" / "hello.py").write_text("x")
    assert detect_layout(folder) == "folders"
    layout, entries = read(folder, tmp_path)
    assert layout == "folders" and list(entries) == ["student0"]


def test_wrong_layout_is_named_in_one_line(tmp_path):
    folder = make.make_moodle(tmp_path / "moodle")
    with pytest.raises(UsageError) as err:
        read(folder, tmp_path, layout="canvas")
    message = err.value.message if hasattr(err.value, "message") else str(err.value)
    assert "\n" not in message
    assert message.startswith("not a canvas download: expected files named login_userid_fileid_name.ext")
    assert "found " in message


def test_a_file_name_that_names_no_file_is_left_out_not_fatal(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "kim_1_10_hello.py").write_text("x")
    (folder / "lee_2_11_..").write_text("y")
    _layout, entries = read(folder, tmp_path)
    assert taken_in(entries["kim"], tmp_path) == {"hello.py": "x"}
    assert any("was left out" in n for n in entries["lee"].notes)


def test_gradescope_metadata_with_ruby_tags(tmp_path):
    folder = tmp_path / "export"
    (folder / "submission_7").mkdir(parents=True)
    (folder / "submission_7" / "hello.py").write_text("x")
    (folder / "submission_metadata.yml").write_text(
        "---\nsubmission_7: !ruby/hash:ActiveSupport::HashWithIndifferentAccess\n  :submitters:\n"
        "  - :name: 김민준\n    :sid: '2024002'\n    :email: minjun@x.kr\n", encoding="utf-8")
    _layout, entries = read(folder, tmp_path)
    assert entries["2024002"].display_name == "김민준"


def test_a_huge_repository_is_refused_by_intake_not_copied_whole(tmp_path):
    import pytest as _pytest

    from grader.errors import SubmissionError
    from grader.intake.lms import _export_commit
    from grader.submission import IntakeLimits

    repo = make.make_classroom(tmp_path / "cr")
    first = sorted(repo.iterdir())[0]
    for i in range(5):
        (first / f"f{i}.txt").write_text("x" * 100)
    make._git(first, "add", ".")
    make._git(first, "commit", "-q", "-m", "more")
    target = tmp_path / "out"
    target.mkdir()
    limits = IntakeLimits(max_total_bytes=10_000, max_entries=3)
    _export_commit(first, "HEAD", target, limits)
    assert len(list(target.iterdir())) == 4          # stopped just past the cap
    with _pytest.raises(SubmissionError, match="more than 3 files"):
        intake(target, tmp_path / "in", student="s", limits=limits)


def test_an_unreadable_deadline_is_refused_not_taken_as_now(tmp_path):
    folder = make.make_classroom(tmp_path / "classroom")
    with pytest.raises(UsageError, match="is not a date"):
        read(folder, tmp_path, deadline="next friday-ish")
    _layout, entries = read(folder, tmp_path / "ok", deadline="2024-03-01 23:59:59+09:00")
    assert taken_in(entries["kimminsu"], tmp_path / "ok") == {"hello.py": make.SOLUTION}
