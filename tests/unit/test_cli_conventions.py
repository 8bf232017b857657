"""The command line's conventions: exit codes, `-` for stdout/stdin, -v/-q logging, a progress line
that fits the terminal, and the batch's class page and notes (display names, absent students, Korean)."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from lxml import etree
from rich.console import Console

import grader.api
import grader.cli
from grader.batch import run_batch
from grader.batch.notes import NOTE_TEMPLATES, note_message
from grader.batch.runner import _Done, _note_diagnosis, _Progress
from grader.cli import cli
from grader.errors import EXIT_CODES_HELP, EngineError, SubmissionError
from grader.intake.lms import discover_class
from grader.progress import Progress, ProgressState, progress_line
from grader.report.html import render_html
from grader.result import Result
from grader.validate import ValidationRow

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
ASSIGNMENT = ROOT / "assignments" / "fork-hello" / "assignment.yaml"
JENKINS = etree.XMLSchema(etree.parse(str(DATA / "junit" / "junit-10.xsd")))
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

_spec = importlib.util.spec_from_file_location("make_downloads", DATA / "lms" / "make_downloads.py")
assert _spec and _spec.loader
make = importlib.util.module_from_spec(_spec)
sys.modules["make_downloads"] = make
_spec.loader.exec_module(make)


def _result(name: str = "worker_pool_64_tasks.json", *, full: bool = False) -> Result:
    result = Result.from_json(json.loads((DATA / "results" / name).read_text(encoding="utf-8")))
    if full:
        result.score = result.max_score
    return result


@pytest.fixture()
def graded(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """`grader run` on recorded results: grade_path returns (or raises) what the test puts here."""
    outcome: dict[str, Any] = {"result": _result()}

    def fake_grade_path(*_args: Any, **_kwargs: Any) -> Result:
        if isinstance(outcome["result"], BaseException):
            raise outcome["result"]
        return outcome["result"]

    monkeypatch.setattr(grader.api, "grade_path", fake_grade_path)
    monkeypatch.setattr(grader.cli, "_make_sandbox", lambda *a, **k: None)
    return outcome


def invoke(*args: str, stdin: bytes | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


# ----------------------------------------------------------------- exit codes


@pytest.mark.parametrize(("outcome", "code"), [
    ("full", 0),
    ("below", 1),
    (SubmissionError("'tom.zip' is not a readable zip archive"), 3),
    (EngineError("the Docker engine is not answering"), 4),
    (RuntimeError("a grader bug"), 4),
])
def test_run_exit_codes(graded: dict[str, Any], outcome: Any, code: int) -> None:
    graded["result"] = {"full": _result(full=True), "below": _result()}.get(outcome, outcome)
    done = invoke("run", str(ASSIGNMENT), "sub")
    assert done.exit_code == code, done.output
    assert "Traceback" not in done.output


def test_run_usage_error_is_2_and_a_corrupt_zip_is_3(tmp_path: Path) -> None:
    """The real intake, no sandbox reached: a missing path is the caller's (2), a broken archive the submission's (3)."""
    missing = invoke("run", str(ASSIGNMENT), str(tmp_path / "nothing.zip"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    corrupt = tmp_path / "s24_tom.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    refused = invoke("run", str(ASSIGNMENT), str(corrupt))
    assert refused.exit_code == 3, refused.output
    assert "zip" in refused.stderr and "Traceback" not in refused.output
    assert invoke("run", str(tmp_path / "nope.yaml"), str(corrupt)).exit_code == 2
    assert invoke("run", "--no-such-option").exit_code == 2


def _answers(root: Path, answers: dict[str, int], *, refused: bool = False) -> Path:
    root.mkdir()
    for student, passed in answers.items():
        (root / student).mkdir()
        (root / student / "answer.txt").write_text(str(passed))
    if refused:
        with zipfile.ZipFile(root / "mallory.zip", "w") as zf:
            zf.writestr("../../escaped.txt", b"pwned")
    return root


def _grade_by_answer(folder: Path, student: str) -> Result:
    result = _result(full=int((folder / "answer.txt").read_text()) == 1)
    result.submission = student
    return result


def _batch(subs: Path, out: Path, **options: Any) -> Any:
    return run_batch(submissions=subs, out_dir=out, grade_fn=_grade_by_answer, assignment_hash="A",
                     grader_version="t", jobs=2, progress=False, **options)


def test_batch_exit_codes(tmp_path: Path) -> None:
    assert _batch(_answers(tmp_path / "all", {"ann": 1, "ben": 1}), tmp_path / "o1").exit_code == 0
    assert _batch(_answers(tmp_path / "some", {"ann": 1, "ben": 0}), tmp_path / "o2").exit_code == 1
    refused = _batch(_answers(tmp_path / "bad", {"ann": 1}, refused=True), tmp_path / "o3")
    assert refused.rejected == 1 and refused.exit_code == 3
    # Resumed: the refused archive is reused from the store, and the class still exits 3.
    again = _batch(tmp_path / "bad", tmp_path / "o3")
    assert again.rejected == 0 and again.reused == 2 and again.exit_code == 3


def test_batch_with_an_absent_roster_student_is_1(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID\nAnn Lee,ann\nZed Park,zed\n", encoding="utf-8")
    from grader.intake.roster import load_roster

    summary = _batch(_answers(tmp_path / "subs", {"ann": 1}), tmp_path / "out", roster=load_roster(roster))
    assert summary.exit_code == 1
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "Ann Lee" in page and "Zed Park" in page and "no submission" in page


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in sorted(group.commands.items()):
        found += _commands(command, (*prefix, name)) if isinstance(command, click.Group) else [(*prefix, name)]
    return found


@pytest.mark.parametrize("command", _commands(cli), ids=lambda c: " ".join(c) or "grader")
def test_every_help_ends_with_the_exit_codes(command: tuple[str, ...]) -> None:
    done = invoke(*command, "--help")
    assert done.exit_code == 0
    codes = done.output.split("Exit codes")[-1]
    assert "Exit codes" in done.output and re.search(r"^\s+0  \S", codes, re.MULTILINE), done.output
    assert re.search(r"^\s+2  \S", codes, re.MULTILINE) and re.search(r"^\s+4  the grader", codes, re.MULTILINE)


def test_readme_documents_the_exit_codes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exit codes and conventions", 1)[1].split("\n### ", 1)[0]
    for code in ("0", "1", "2", "3", "4", "130"):
        assert f"\n| {code} |" in section, code
    assert "`-`" in section and "-v" in section and "-q" in section
    assert all(line.split()[0] in {"\b", "Exit", "0", "1", "2", "3", "4", "130"}
               for line in EXIT_CODES_HELP.splitlines())


# ----------------------------------------------------------------- `-` is stdout (or stdin)


@pytest.mark.parametrize("option", ["--json", "--junit", "--html", "--gradescope"])
def test_dash_writes_the_file_to_stdout_and_the_summary_to_stderr(graded: dict[str, Any], option: str,
                                                                   tmp_path: Path) -> None:
    done = invoke("run", str(ASSIGNMENT), "sub", option, "-")
    assert done.exit_code == 1
    assert not (Path.cwd() / "-").exists()
    assert "worker" in done.stderr or "/4" in done.stderr          # the summary went to stderr
    out = done.stdout
    if option in ("--json", "--gradescope"):
        assert isinstance(json.loads(out), dict)
    elif option == "--junit":
        JENKINS.assertValid(etree.fromstring(out.encode("utf-8")))
    else:
        assert out.lstrip().startswith("<!DOCTYPE html>")


def test_two_dashes_are_a_usage_error(graded: dict[str, Any]) -> None:
    done = invoke("run", str(ASSIGNMENT), "sub", "--json", "-", "--junit", "-")
    assert done.exit_code == 2 and "only one file can go to stdout" in done.stderr


def test_schema_and_validate_write_to_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = invoke("schema", "--out", "-")
    assert schema.exit_code == 0 and "properties" in json.loads(schema.stdout)
    row = ValidationRow(assignment="fork-hello", source=str(ASSIGNMENT), role="reference", solution="solution",
                        ok=True, detail="full marks")
    monkeypatch.setattr(grader.cli, "_make_sandbox", lambda *a, **k: None)
    monkeypatch.setattr("grader.validate.validate", lambda paths, **kw: [row])
    done = invoke("validate", str(ASSIGNMENT), "--junit", "-")
    assert done.exit_code == 0, done.output
    JENKINS.assertValid(etree.fromstring(done.stdout.encode("utf-8")))
    assert "validate: 1 passed" in done.stderr


@pytest.mark.parametrize(("data", "name"), [
    (b"PK\x03\x04" + b"\x00" * 30, "stdin.zip"),
    (b"\x1f\x8b\x08" + b"\x00" * 30, "stdin.tar.gz"),
    (b"\x00" * 257 + b"ustar\x0000" + b"\x00" * 30, "stdin.tar"),
    (b"import os\nprint('hello os')\n", "stdin"),
])
def test_submission_from_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes, name: str) -> None:
    seen: dict[str, Any] = {}

    def fake_grade_path(assignment: Path, submission: Path, **_kwargs: Any) -> Result:
        seen["name"], seen["data"] = Path(submission).name, Path(submission).read_bytes()
        return _result(full=True)

    monkeypatch.setattr(grader.api, "grade_path", fake_grade_path)
    monkeypatch.setattr(grader.cli, "_make_sandbox", lambda *a, **k: None)
    done = invoke("run", str(ASSIGNMENT), "-", stdin=data)
    assert done.exit_code == 0, done.output
    assert seen == {"name": name, "data": data}


def test_roster_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    read: dict[str, Any] = {}

    def fake_load(path: Path, columns: dict[str, str]) -> str:
        read["text"] = Path(path).read_text(encoding="utf-8")
        return "roster"

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Student,ID\nAnn,ann\n")))
    assert grader.cli._read_roster(Path("-"), {}, fake_load) == "roster"
    assert read["text"] == "Student,ID\nAnn,ann\n"


# ----------------------------------------------------------------- logging


@pytest.mark.parametrize(("flags", "level"), [
    ((), logging.WARNING), (("-v",), logging.INFO), (("-vv",), logging.DEBUG), (("-q",), logging.ERROR),
])
def test_verbosity_sets_the_grader_logger(graded: dict[str, Any], flags: tuple[str, ...], level: int) -> None:
    done = invoke(*flags, "run", str(ASSIGNMENT), "sub")
    assert logging.getLogger("grader").level == level
    said = "INFO: grading sub against" in done.stderr or "INFO grader.cli: grading sub" in done.stderr
    assert said == (level <= logging.INFO)
    assert "grading sub" not in done.stdout                          # logs go to stderr only


def test_verbose_and_quiet_together_is_a_usage_error() -> None:
    assert invoke("-v", "-q", "schema").exit_code == 2


# ----------------------------------------------------------------- the progress line


def _drawn(width: int, done: int = 12, total: int = 40) -> list[str]:
    screen = io.StringIO()
    console = Console(file=screen, width=width, force_terminal=True, color_system=None)
    line = Progress("grading", total, ("graded", "reused", "refused", "errors"), stream=screen, console=console)
    line.state.started -= 6.0
    for i in range(done):
        line.advance("refused" if i == 3 else "graded")
    line.close()
    text = ANSI.sub("", screen.getvalue())
    return [row for row in re.split(r"[\r\n]", text) if row.strip()]


@pytest.mark.parametrize("width", [80, 40])
def test_progress_line_fits_the_terminal(width: int) -> None:
    rows = _drawn(width)
    assert rows and all(len(row) <= width for row in rows), rows
    last = rows[-1]
    assert last.startswith("grading 12/40") and "ETA" in last and "…" not in last, last


def test_progress_line_drops_parts_before_it_cuts_the_eta() -> None:
    state = ProgressState(label="validating", total=40, kinds=("ok", "mismatched"), done=12,
                          counts={"ok": 11, "mismatched": 1}, started=0.0)
    wide, eighty, narrow = (progress_line(state, w, now=6.0) for w in (160, 80, 25))
    assert "[" in wide and "/s" in wide and "11 ok, 1 mismatched" in wide
    assert len(eighty) <= 80 and "ETA 0:14" in eighty and "1 mismatched" in eighty
    assert narrow == "validating 12/40 ETA 0:14"


def test_plain_progress_follows_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    stream = io.StringIO()
    line = Progress("grading", 3, ("graded", "refused"), stream=stream, enabled=None)
    for kind in ("graded", "refused", "graded"):
        line.advance(kind, "bad zip" if kind == "refused" else "")
    rows = stream.getvalue().splitlines()
    assert rows and all(len(r) <= 40 for r in rows) and rows[-1].startswith("grading 3/3"), rows


def test_batch_progress_at_40_columns() -> None:
    screen = io.StringIO()
    bar = _Progress(3, enabled=True, stream=screen, console=Console(file=screen, width=40, force_terminal=True,
                                                                       color_system=None))
    for kind in ("graded", "rejected", "error"):
        bar.advance(_Done("s24_tom" if kind != "graded" else "ann", _result(), kind, "the zip is damaged"))
    bar.close()
    rows = [r for r in re.split(r"[\r\n]", ANSI.sub("", screen.getvalue())) if r.strip()]
    progress_rows = [r for r in rows if r.startswith("grading")]
    assert progress_rows and all(len(r) <= 40 for r in progress_rows), rows
    assert any("s24_tom: rejected: the zip is damaged" in r for r in rows)


def test_quiet_draws_no_progress() -> None:
    stream = io.StringIO()
    line = Progress("grading", 2, ("graded",), stream=stream, enabled=False)
    line.echo("a row")
    line.advance("graded", "note")
    line.close()
    assert stream.getvalue() == ""


# ----------------------------------------------------------------- LMS notes and the class page


def test_every_note_the_intake_writes_has_a_template(tmp_path: Path) -> None:
    downloads = make.make_all(tmp_path / "downloads")
    notes: list[str] = []
    for kind in ("canvas", "moodle", "blackboard", "gradescope", "classroom"):
        extra = {"deadline": make.DEADLINE} if kind == "classroom" else {}
        _layout, entries = discover_class(downloads[kind], work_dir=tmp_path / f"w-{kind}", required=["hello.py"],
                                          **extra)
        notes += [note for entry in entries for note in entry.notes]
    assert notes
    unmatched = [note for note in notes if note_message(note) is None]
    assert not unmatched, unmatched
    assert {m.template for m in map(note_message, notes) if m} <= set(NOTE_TEMPLATES)


def test_a_note_with_an_unknown_reason_stays_english() -> None:
    assert note_message("x.py was left out: the archive has an absolute path: '/x'") is None
    assert note_message("hello-1.py was taken as hello.py (some new reason)") is None
    diagnosis = _note_diagnosis("hello-1.py was taken as hello.py (Canvas adds -1 to a resubmitted file)")
    assert diagnosis.template and diagnosis.message.startswith("hello-1.py was taken as")


def test_korean_page_says_the_intake_notes_in_korean() -> None:
    result = _result()
    notes = ["kimminsu_12345_67890_relay.py was taken as relay.py",
             "hello-1.py was taken as hello.py (Canvas adds -1 to a resubmitted file)",
             "Canvas marked this submission late",
             "x.py was left out: the archive has an absolute path: '/x'"]
    result.diagnoses = [_note_diagnosis(n) for n in notes] + result.diagnoses
    page = render_html(Result.from_json(result.to_json()), lang="ko")   # as stored and read back
    assert "kimminsu_12345_67890_relay.py 파일을 relay.py(으)로 받았습니다" in page
    assert "Canvas은(는) 다시 제출한 파일 이름에 -1을(를) 붙입니다" in page
    assert "Canvas가 이 제출물을 지각 제출로 표시했습니다" in page
    assert "was taken as" not in page and "marked this submission late" not in page
    assert "the archive has an absolute path" in page              # no template: the English line, marked so
    english = render_html(result, lang="en")
    assert "kimminsu_12345_67890_relay.py was taken as relay.py" in english


def _full(folder: Path, student: str) -> Result:
    result = _result(full=True)
    result.submission = student
    return result


def test_class_page_shows_lms_names_and_absent_roster_students(tmp_path: Path) -> None:
    from grader.intake.roster import load_roster

    downloads = make.make_all(tmp_path / "downloads")
    out = tmp_path / "out"
    summary = run_batch(submissions=downloads["moodle"], out_dir=out, grade_fn=_full, assignment_hash="A",
                        grader_version="t", jobs=2, progress=False, layout="moodle", required_files=["hello.py"],
                        roster=load_roster(downloads["moodle_roster"]), lang="ko")
    assert summary.exit_code == 1                                     # everyone full, one student absent
    page = (out / "index.html").read_text(encoding="utf-8")
    students = page.split('id="students"', 1)[1]
    for student in make.CLASS:
        assert student.name in students or f"{student.first} {student.last}" in students, student
    assert f"{make.ABSENT.first} {make.ABSENT.last}" in students and "제출 없음" in students
    assert "no submission" not in students                            # Korean page, Korean status
    english = tmp_path / "en"
    run_batch(submissions=downloads["moodle"], out_dir=english, grade_fn=_full, assignment_hash="A",
              grader_version="t", jobs=2, progress=False, layout="moodle", required_files=["hello.py"])
    assert "Kim Minsu" in (english / "index.html").read_text(encoding="utf-8")
