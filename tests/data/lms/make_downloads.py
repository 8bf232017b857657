"""Make each LMS's class download from the library's fork-hello solutions, named as each LMS names them.

    python tests/data/lms/make_downloads.py OUT_DIR

writes OUT_DIR/{canvas,canvas.zip,moodle,moodle.zip,blackboard,gradescope.zip,classroom} and rosters.
The names follow what each LMS documents or produces:

- Canvas "Download Submissions" (lib/content_zipper.rb): login_userid_fileid_name.ext, the login being the
  sortable name downcased and stripped to word characters; login_LATE_... when late; a resubmitted file
  gets -1, -2 before its extension; all of it in submissions.zip.
- Moodle "Download all submissions": a folder "Full Name_<participant id>_assignsubmission_file_" per
  student (and "..._assignsubmission_onlinetext_" for online text), zipped.
- Blackboard "Download Assignment": Assignment_username_attempt_YYYY-MM-DD-HH-MM-SS_file.ext and a
  receipt Assignment_username_attempt_YYYY-MM-DD-HH-MM-SS.txt with "Name:" and "Original filename:".
- Gradescope "Export Submissions": submission_<id>/ folders and submission_metadata.yml (Ruby symbols).
- GitHub Classroom: repositories "<assignment>-<login>", with commits before and after a deadline.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ASSIGNMENT = ROOT / "assignments" / "fork-hello"
SOLUTION = (ASSIGNMENT / "solution" / "hello.py").read_text(encoding="utf-8")
FAULTY = (ASSIGNMENT / "faulty" / "no_wait.py").read_text(encoding="utf-8")
DEADLINE = "2024-03-01T23:59:59+09:00"


@dataclass(frozen=True)
class Student:
    login: str        # Canvas login / Blackboard username / GitHub login
    name: str         # display name
    first: str
    last: str
    user_id: str      # Canvas user id / Moodle participant id
    email: str
    correct: bool

    @property
    def source(self) -> str:
        return SOLUTION if self.correct else FAULTY


CLASS = [
    Student("kimminsu", "Kim Minsu", "Minsu", "Kim", "12345", "kimminsu@example.ac.kr", True),
    Student("김민준", "김민준", "민준", "김", "23456", "minjun@example.ac.kr", True),
    Student("leejiho", "Lee Jiho", "Jiho", "Lee", "34567", "leejiho@example.ac.kr", False),
]
# On the roster, with no submission anywhere.
ABSENT = Student("parkseo", "Park Seoyeon", "Seoyeon", "Park", "45678", "parkseo@example.ac.kr", True)
# Submits, but is not on the roster.
STRAY = Student("choiwoo", "Choi Woojin", "Woojin", "Choi", "56789", "choiwoo@example.ac.kr", True)


def _zip(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return archive


def make_canvas(dest: Path, students: list[Student] = CLASS) -> Path:
    """kimminsu on time; 김민준 late with a resubmitted hello-1.py; leejiho's faulty hello.py."""
    dest.mkdir(parents=True)
    for i, s in enumerate(students):
        late = "_LATE" if s.login == "김민준" else ""
        name = "hello-1.py" if s.login == "김민준" else "hello.py"
        (dest / f"{s.login}{late}_{s.user_id}_{67890 + i}_{name}").write_text(s.source, encoding="utf-8")
    return dest


def make_moodle(dest: Path, students: list[Student] = CLASS) -> Path:
    dest.mkdir(parents=True)
    for i, s in enumerate(students):
        folder = dest / f"{s.name}_{101 + i}_assignsubmission_file_"
        folder.mkdir()
        (folder / "hello.py").write_text(s.source, encoding="utf-8")
    (dest / f"{students[0].name}_101_assignsubmission_onlinetext_").mkdir()
    (dest / f"{students[0].name}_101_assignsubmission_onlinetext_" / "onlinetext.html").write_text("<p>done</p>")
    return dest


def make_blackboard(dest: Path, students: list[Student] = CLASS, assignment: str = "Fork Hello") -> Path:
    """Each student one attempt; kimminsu two (a faulty one first): the latest is graded."""
    dest.mkdir(parents=True)
    for s in students:
        attempts = [("2024-02-28-10-00-00", FAULTY)] if s.login == "kimminsu" else []
        attempts.append(("2024-03-01-23-59-59", s.source))
        user = "minjun" if s.login == "김민준" else s.login   # a Blackboard username is ASCII
        for when, source in attempts:
            stem = f"{assignment}_{user}_attempt_{when}"
            downloaded = f"{stem}_hello.py"
            (dest / downloaded).write_text(source, encoding="utf-8")
            (dest / f"{stem}.txt").write_text(
                f"Name: {s.name} ({user})\nAssignment: {assignment}\nDate Submitted: {when}\n"
                "Current Grade: Needs Grading\n\nSubmission Field:\nThere is no student submission text data "
                "for this assignment.\n\nComments:\nThere are no student comments for this assignment.\n\n"
                f"Files:\n\tOriginal filename: hello.py\n\tFilename: {downloaded}\n", encoding="utf-8")
    return dest


def make_gradescope(dest: Path, students: list[Student] = CLASS) -> Path:
    """The export zip holds one folder, assignment_<id>_export/, with the metadata and a folder per submission."""
    folder = dest.with_suffix("") / "assignment_9100_export"
    folder.mkdir(parents=True)
    meta = []
    for i, s in enumerate(students):
        sub = folder / f"submission_{1001 + i}"
        sub.mkdir()
        (sub / "hello.py").write_text(s.source, encoding="utf-8")
        meta.append(f"submission_{1001 + i}:\n  :submitters:\n  - :name: {s.name}\n    :sid: '{s.user_id}'\n"
                    f"    :email: {s.email}\n  :created_at: 2024-03-01 23:00:00.000000000 +09:00\n"
                    "  :score: \n  :status: processed\n")
    (folder / "submission_metadata.yml").write_text("---\n" + "".join(meta), encoding="utf-8")
    return _zip(folder.parent, dest)


def _git(repo: Path, *args: str, when: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "student", "GIT_AUTHOR_EMAIL": "s@example.com",
           "GIT_COMMITTER_NAME": "student", "GIT_COMMITTER_EMAIL": "s@example.com", "GIT_CONFIG_NOSYSTEM": "1",
           "HOME": str(repo)}
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


def make_classroom(dest: Path, students: list[Student] = CLASS, assignment: str = "fork-hello") -> Path:
    """Each repository's last commit before DEADLINE is the student's work; kimminsu breaks it afterwards."""
    dest.mkdir(parents=True)
    for s in students:
        repo = dest / f"{assignment}-{s.login}"
        repo.mkdir()
        _git(repo, "init", "-q", "-b", "main")
        (repo / "hello.py").write_text(s.source, encoding="utf-8")
        _git(repo, "add", "hello.py")
        _git(repo, "commit", "-q", "-m", "solution", when="2024-03-01T20:00:00+09:00")
        if s.login == "kimminsu":
            (repo / "hello.py").write_text(FAULTY, encoding="utf-8")
            _git(repo, "commit", "-q", "-am", "after the deadline", when="2024-03-02T10:00:00+09:00")
    return dest


def write_canvas_roster(path: Path, students: list[Student]) -> Path:
    """A Canvas gradebook export's first columns (with its Points Possible row)."""
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"])
        writer.writerow(["    Points Possible", "", "", "", ""])
        for s in students:
            writer.writerow([f"{s.last}, {s.first}", s.user_id, f"2024{s.user_id}", s.email, "OS 001"])
    return path


def write_moodle_roster(path: Path, students: list[Student]) -> Path:
    """Moodle's participants / grades export columns, semicolon-separated as some sites set it."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["First name", "Last name", "ID number", "Email address", "Username"])
        for s in students:
            writer.writerow([s.first, s.last, f"2024{s.user_id}", s.email, s.login])
    return path


def make_all(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    made = {
        "canvas": make_canvas(out / "canvas"),
        "moodle": make_moodle(out / "moodle"),
        "blackboard": make_blackboard(out / "blackboard"),
        "gradescope": make_gradescope(out / "gradescope.zip"),
        "classroom": make_classroom(out / "classroom"),
    }
    made["canvas.zip"] = _zip(made["canvas"], out / "submissions.zip")
    made["moodle.zip"] = _zip(made["moodle"], out / "moodle.zip")
    made["canvas_roster"] = write_canvas_roster(out / "canvas-roster.csv", [*CLASS, ABSENT])
    made["moodle_roster"] = write_moodle_roster(out / "moodle-roster.csv", [*CLASS, ABSENT])
    return made


if __name__ == "__main__":
    for key, path in make_all(Path(sys.argv[1] if len(sys.argv) > 1 else "lms-downloads")).items():
        print(f"{key}: {path}")
