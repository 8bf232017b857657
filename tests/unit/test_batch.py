"""Batch grading: parallel, resumable after kill -9, one error never stops the class, reports from the store."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
import zipfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader.batch import ResultStore, rebuild_report, run_batch
from grader.errors import UsageError
from grader.result import CheckResult, Diagnosis, Result
from grader.result import TestResult as _TestResult

# ----------------------------------------------------------------- a fake grader from stored results

TESTS = [("hello os is printed <3> times & once each", 2.0), ("the parent waits", 1.0), ("pids differ", 1.0)]


def stored_template(passed: int) -> dict[str, object]:
    """The JSON of a Result that passes the first `passed` tests, as the store would hold it."""
    tests = []
    for index, (name, points) in enumerate(TESTS):
        ok = index < passed
        checks = [
            CheckResult(kind="output.count", status="passed" if ok else "failed", message="3 lines" if ok else "2 lines",
                        score=points if ok else 0.0, max_score=points, passed_runs=5 if ok else 0, total_runs=5),
            CheckResult(kind="process.reaped", status="passed" if ok else "flaky", message="reaped",
                        passed_runs=5 if ok else 3, total_runs=5, label="children reaped"),
        ]
        diagnoses = [] if ok else [Diagnosis(code="zombie", message="a child was never waited for")]
        tests.append(_TestResult(name=name, status="passed" if ok else "failed", score=points if ok else 0.0,
                                max_score=points, checks=checks, diagnoses=diagnoses))
    score = sum(p for i, (_, p) in enumerate(TESTS) if i < passed)
    result = Result(assignment_id="fork-hello", assignment_title="Fork into three processes", submission="?",
                    score=score, max_score=4.0, tests=tests, duration_ms=100 * (passed + 1))
    return result.to_json()


TEMPLATES = {n: stored_template(n) for n in range(len(TESTS) + 1)}


def fake_grade(folder: Path, student: str) -> Result:
    """Grade by the number in answer.txt: that many tests pass."""
    passed = int((folder / "answer.txt").read_text().strip())
    data = dict(TEMPLATES[passed])
    data["submission"] = student
    return Result.from_json(data)


class CountingGrader:
    """fake_grade, counting calls per student, optionally failing for some."""

    def __init__(self, fail: dict[str, int] | None = None, delay: float = 0.0) -> None:
        self.calls: Counter[str] = Counter()
        self.fail = dict(fail or {})
        self.delay = delay
        self.lock = threading.Lock()
        self.threads: set[str] = set()

    def __call__(self, folder: Path, student: str) -> Result:
        with self.lock:
            self.calls[student] += 1
            self.threads.add(threading.current_thread().name)
            failing = self.fail.get(student, 0)
            if failing:
                self.fail[student] = failing - 1
        if self.delay:
            time.sleep(self.delay)
        if failing:
            raise RuntimeError(f"docker hiccup for {student}")
        return fake_grade(folder, student)


def make_class(root: Path, answers: dict[str, int], *, hostile: bool = True) -> Path:
    """A class folder: folders, zips and a tar.gz, plus one zip-slip archive."""
    root.mkdir(parents=True, exist_ok=True)
    for index, (student, passed) in enumerate(sorted(answers.items())):
        data = f"{passed}\n".encode()
        if index % 3 == 0:
            (root / student).mkdir()
            (root / student / "answer.txt").write_bytes(data)
        elif index % 3 == 1:
            with zipfile.ZipFile(root / f"{student}.zip", "w") as zf:
                zf.writestr(f"{student}-hw/answer.txt", data)
        else:
            with tarfile.open(root / f"{student}.tar.gz", "w:gz") as tf:
                info = tarfile.TarInfo("answer.txt")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    if hostile:
        with zipfile.ZipFile(root / "mallory.zip", "w") as zf:
            zf.writestr("answer.txt", b"3\n")
            zf.writestr("../../escaped.txt", b"pwned")
    return root


ANSWERS = {"alice": 3, "bob": 1, "carol": 0, "dave": 2, "eve": 3, "김철수": 2}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def batch(subs: Path, out: Path, grade_fn: object, **kwargs: object) -> object:
    options: dict[str, object] = {"assignment_hash": "A1", "grader_version": "0.1.0", "jobs": 3, "progress": False}
    options.update(kwargs)
    return run_batch(submissions=subs, out_dir=out, grade_fn=grade_fn, **options)  # type: ignore[arg-type]


# ----------------------------------------------------------------- the batch


def test_batch_grades_everyone_and_writes_every_output(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", ANSWERS)
    grader = CountingGrader(delay=0.05)
    summary = batch(subs, tmp_path / "out", grader)
    out = tmp_path / "out"

    assert (summary.total, summary.graded, summary.rejected, summary.errors, summary.reused) == (7, 6, 1, 0, 0)
    assert set(grader.calls) == set(ANSWERS) and set(grader.calls.values()) == {1}
    assert len(grader.threads) > 1, "graded in parallel"
    assert not (tmp_path / "escaped.txt").exists() and not (out / "escaped.txt").exists()
    assert not (out / ".work").exists()

    rows = read_csv(out / "grades.csv")
    assert list(rows[0]) == ["student", "score", "max_score", *(name for name, _ in TESTS)]
    by_student = {row["student"]: row for row in rows}
    assert sorted(by_student) == sorted([*ANSWERS, "mallory"])
    assert by_student["alice"]["score"] == "4" and by_student["alice"]["max_score"] == "4"
    assert by_student["bob"]["score"] == "2" and by_student["bob"][TESTS[1][0]] == "0"
    assert by_student["김철수"]["score"] == "3"
    assert by_student["mallory"] == {"student": "mallory", "score": "0", "max_score": "4",
                                     **{name: "" for name, _ in TESTS}}
    assert (out / "grades.csv").read_bytes().startswith(b"student,score,max_score,")

    for student in [*ANSWERS, "mallory"]:
        folder = out / "students" / student
        result = Result.from_json(json.loads((folder / "result.json").read_text(encoding="utf-8")))
        assert result.submission == student
        assert result.assignment_hash == "A1" and result.grader_version == "0.1.0"
        assert len(result.submission_hash) > 20 and result.graded_at
        assert (folder / "index.html").is_file()
    mallory = Result.from_json(json.loads((out / "students/mallory/result.json").read_text()))
    assert mallory.error and "leaves its folder" in mallory.error
    assert [d.code for d in mallory.diagnoses] == ["submission_rejected"]


def test_store_is_durable_and_keyed(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", ANSWERS)
    batch(subs, tmp_path / "out", CountingGrader())
    db = sqlite3.connect(tmp_path / "out" / "results.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = db.execute("SELECT student, submission_hash, assignment_hash, grader_version, outcome FROM results").fetchall()
    assert len(rows) == 7 == len({r[0] for r in rows})
    assert {r[4] for r in rows} == {"graded", "rejected"}
    with ResultStore(tmp_path / "out" / "results.sqlite") as store:
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert [s.student for s in store.current()] == sorted([*ANSWERS, "mallory"])


def test_rerun_grades_only_what_is_missing_or_changed(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", ANSWERS)
    out = tmp_path / "out"
    batch(subs, out, CountingGrader())
    first_csv = (out / "grades.csv").read_bytes()

    again = CountingGrader()
    summary = batch(subs, out, again)
    assert not again.calls and summary.reused == 7 and summary.graded == 0
    assert (out / "grades.csv").read_bytes() == first_csv

    (subs / "alice" / "answer.txt").write_text("0\n")  # alice resubmits
    changed = CountingGrader()
    batch(subs, out, changed)
    assert dict(changed.calls) == {"alice": 1}
    assert {r["student"]: r["score"] for r in read_csv(out / "grades.csv")}["alice"] == "0"

    (subs / "alice" / "answer.txt").write_text("3\n")  # ...and goes back: the old result is reused
    back = CountingGrader()
    batch(subs, out, back)
    assert not back.calls
    assert (out / "grades.csv").read_bytes() == first_csv

    new_assignment = CountingGrader()
    batch(subs, out, new_assignment, assignment_hash="A2")
    assert set(new_assignment.calls) == set(ANSWERS)

    forced = CountingGrader()
    summary = batch(subs, out, forced, assignment_hash="A2", regrade=True)
    assert set(forced.calls) == set(ANSWERS) and summary.rejected == 1


def test_a_failing_grade_fn_is_retried_once_then_recorded_and_the_batch_carries_on(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", ANSWERS, hostile=False)
    out = tmp_path / "out"
    grader = CountingGrader(fail={"alice": 1, "bob": 5})
    summary = batch(subs, out, grader)
    assert grader.calls["alice"] == 2 and grader.calls["bob"] == 2
    assert (summary.graded, summary.errors) == (5, 1)
    scores = {r["student"]: r["score"] for r in read_csv(out / "grades.csv")}
    assert scores["alice"] == "4" and scores["bob"] == "0"
    bob = Result.from_json(json.loads((out / "students/bob/result.json").read_text()))
    assert bob.error and "docker hiccup" in bob.error

    # A grader failure is not a grade: the next run tries bob again, and only bob.
    retry = CountingGrader()
    summary = batch(subs, out, retry)
    assert dict(retry.calls) == {"bob": 1} and summary.errors == 0
    assert {r["student"]: r["score"] for r in read_csv(out / "grades.csv")}["bob"] == "2"


def test_grade_fn_returning_garbage_is_an_error_result(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", {"alice": 3}, hostile=False)
    summary = batch(subs, tmp_path / "out", lambda folder, student: {"score": 1})
    assert summary.errors == 1


def test_on_result_sees_every_student(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", ANSWERS)
    seen: list[tuple[str, float]] = []
    batch(subs, tmp_path / "out", CountingGrader(), on_result=lambda sid, result: seen.append((sid, result.score)))
    assert sorted(s for s, _ in seen) == sorted([*ANSWERS, "mallory"])
    assert dict(seen)["alice"] == 4.0


def test_students_who_left_leave_the_gradebook(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", ANSWERS)
    out = tmp_path / "out"
    batch(subs, out, CountingGrader())
    (subs / "mallory.zip").unlink()
    batch(subs, out, CountingGrader())
    assert "mallory" not in {r["student"] for r in read_csv(out / "grades.csv")}


def test_lms_archive_of_student_zips(tmp_path: Path) -> None:
    folder = make_class(tmp_path / "subs", ANSWERS)
    lms = tmp_path / "download.zip"
    with zipfile.ZipFile(lms, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, "Homework 1/" + path.relative_to(folder).as_posix())
    summary = batch(lms, tmp_path / "out", CountingGrader())
    assert (summary.total, summary.graded, summary.rejected) == (7, 6, 1)
    assert read_csv(tmp_path / "out" / "grades.csv") == (
        batch(folder, tmp_path / "out2", CountingGrader()) and read_csv(tmp_path / "out2" / "grades.csv")
    )


def test_bad_inputs_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        batch(tmp_path / "nowhere", tmp_path / "out", CountingGrader())
    with pytest.raises(UsageError):
        batch(make_class(tmp_path / "subs", ANSWERS), tmp_path / "out", CountingGrader(), jobs=0)
    with pytest.raises(UsageError):
        rebuild_report(tmp_path / "empty")


def test_one_batch_per_results_folder(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", {"alice": 3}, hostile=False)
    out = tmp_path / "out"
    errors: list[Exception] = []

    def grade_and_try_a_second_batch(folder: Path, student: str) -> Result:
        try:
            batch(subs, out, fake_grade)
        except UsageError as exc:
            errors.append(exc)
        return fake_grade(folder, student)

    batch(subs, out, grade_and_try_a_second_batch)
    assert len(errors) == 1 and "another batch" in str(errors[0])


def test_plain_progress_lines_when_not_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subs = make_class(tmp_path / "subs", ANSWERS)
    batch(subs, tmp_path / "out", CountingGrader(), progress=None)
    err = capsys.readouterr().err
    assert "grading 7/7" in err and "/s, ETA" in err
    assert "mallory: rejected" in err


def test_rich_progress_bar_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subs = make_class(tmp_path / "subs", ANSWERS)
    summary = batch(subs, tmp_path / "out", CountingGrader(), progress=True)
    assert summary.graded == 6
    assert "7/7" in capsys.readouterr().err


# ----------------------------------------------------------------- reports


def test_rebuild_report_uses_only_the_store(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", ANSWERS)
    out = tmp_path / "out"
    batch(subs, out, CountingGrader())
    expected_csv = (out / "grades.csv").read_bytes()
    expected_alice = (out / "students/alice/result.json").read_bytes()
    for path in [out / "grades.csv", out / "index.html"]:
        path.unlink()
    import shutil

    shutil.rmtree(out / "students")
    shutil.rmtree(subs)
    assert rebuild_report(out) == []
    assert (out / "grades.csv").read_bytes() == expected_csv
    assert (out / "students/alice/result.json").read_bytes() == expected_alice
    assert (out / "index.html").is_file()


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.links: list[str] = []
        self.text: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        for key in ("src",):
            if values.get(key):
                self.external.append(values[key] or "")
        if tag == "link":
            self.external.append(values.get("href") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_summary_page_renders_with_working_links(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", ANSWERS)
    out = tmp_path / "out"
    batch(subs, out, CountingGrader())
    html = (out / "index.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    text = " ".join(page.text)

    assert page.tags["script"] == 0 and not page.external, "self-contained, no JS"
    assert page.tags["svg"] == 1 and page.tags["rect"] == 11
    # Autoescaped: the test name with <3> & survives as text, not markup.
    assert "&lt;3&gt; times &amp; once" in html and TESTS[0][0] in text
    for section in ("Pass rate per test", "Pass rate per check", "Checks with a race", "Most common diagnoses",
                    "Slowest submissions"):
        assert section in text
    assert "zombie" in text and "children reaped" in text

    from urllib.parse import unquote

    student_links = [link for link in page.links if link.startswith("students/")]
    linked = {unquote(link).split("/")[1] for link in student_links}
    assert linked == {*ANSWERS, "mallory"}
    for link in student_links:
        assert (out / unquote(link)).is_file(), link


def test_summary_statistics(tmp_path: Path) -> None:
    from grader.batch.store import StoredResult
    from grader.batch.summary import summarize

    stored = [
        StoredResult(student=f"s{n}", submission_hash="h", assignment_hash="a", grader_version="v",
                     outcome="graded", result=Result.from_json(TEMPLATES[n]))
        for n in range(len(TESTS) + 1)
    ]
    summary = summarize(stored)
    assert (summary.graded, summary.full_marks) == (4, 1)
    assert [(t.passed, t.total) for t in summary.tests] == [(3, 4), (2, 4), (1, 4)]
    assert [bar.count for bar in summary.histogram] == [1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1]
    assert summary.diagnoses[0].code == "zombie" and summary.diagnoses[0].students == 3
    assert {c.flaky for c in summary.flaky} == {1, 2, 3}
    assert summary.slowest[0].student == "s3"


def test_the_slowest_submissions_are_named_as_in_the_students_table(tmp_path: Path) -> None:
    from grader.batch.store import StoredResult
    from grader.batch.summary import render_index, summarize

    stored = [
        StoredResult(student=f"s{n}", submission_hash="h", assignment_hash="a", grader_version="v",
                     outcome="graded", result=Result.from_json(TEMPLATES[n]))
        for n in range(len(TESTS) + 1)
    ]
    page = render_index(summarize(stored, names={"s3": "Kim Minji"}))
    slowest = page.split('id="slowest"', 1)[1].split('id="students"', 1)[0]
    assert "Kim Minji</a> <code>s3</code>" in slowest


# ----------------------------------------------------------------- kill -9 and resume

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests_dir!r})
    from test_batch import fake_grade
    from grader.batch import run_batch

    subs, out, log = map(Path, sys.argv[1:4])

    def grade(folder, student):
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(student + "\\n")
        time.sleep(0.2)
        return fake_grade(folder, student)

    run_batch(submissions=subs, out_dir=out, grade_fn=grade, assignment_hash="A1",
              grader_version="0.1.0", jobs=2, progress=False)
    """
)


@pytest.mark.slow
def test_kill_9_mid_batch_loses_nothing_and_resumes(tmp_path: Path) -> None:
    answers = {f"student{i:02d}": i % 4 for i in range(24)}
    subs = make_class(tmp_path / "subs", answers)
    script = tmp_path / "grade_class.py"
    script.write_text(SCRIPT.format(tests_dir=str(Path(__file__).parent)))
    out, log = tmp_path / "out", tmp_path / "calls.log"
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, str(script), str(subs), str(out), str(log)]

    victim = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db_path = out / "results.sqlite"
    deadline = time.monotonic() + 60
    stored_before = 0
    while time.monotonic() < deadline and stored_before < 8:
        time.sleep(0.05)
        if db_path.exists():
            try:
                with sqlite3.connect(db_path, timeout=5) as db:
                    stored_before = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            except sqlite3.OperationalError:
                continue
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    with sqlite3.connect(db_path) as db:
        survivors = {r[0] for r in db.execute("SELECT student FROM results")}
    assert 8 <= len(survivors) < len(answers) + 1, "killed mid-way"
    assert not (out / "grades.csv").exists()
    first_calls = log.read_text(encoding="utf-8").split()

    resumed = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    second_calls = log.read_text(encoding="utf-8").split()[len(first_calls):]

    # Nothing graded before the kill was graded again; everything else was graded exactly once more.
    assert not set(second_calls) & survivors
    assert Counter(second_calls) == Counter(set(answers) - survivors)
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT student, COUNT(*) FROM results GROUP BY student").fetchall()
    assert dict(rows) == {s: 1 for s in [*answers, "mallory"]}

    reference = tmp_path / "reference"
    batch(subs, reference, fake_grade)
    assert (out / "grades.csv").read_bytes() == (reference / "grades.csv").read_bytes()


# ----------------------------------------------------------------- a damaged store


def _graded_class(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A class of 40 graded into out/, the store checkpointed so its file holds every row."""
    answers = {f"s{i:02d}": i % 4 for i in range(40)}
    subs = make_class(tmp_path / "subs", answers, hostile=False)
    out = tmp_path / "out"
    batch(subs, out, fake_grade)
    store = out / "results.sqlite"
    db = sqlite3.connect(store)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return subs, out, store


def _corrupt(store: Path, how: str) -> None:
    if how == "truncated":
        with store.open("r+b") as fh:
            fh.truncate(store.stat().st_size // 2)
    elif how == "garbage header":
        with store.open("r+b") as fh:
            fh.write(b"\x89GARBAGE" * 8)
    elif how == "clobbered magic":
        with store.open("r+b") as fh:
            fh.write(b"CLOBBERED HEADER")
    elif how == "bad row":
        db = sqlite3.connect(store)
        db.execute("UPDATE results SET result_json = '{\"score\": 1, oops' WHERE student = 's07'")
        db.commit()
        db.close()


@pytest.mark.parametrize("how", ["truncated", "garbage header", "clobbered magic"])
def test_a_damaged_store_is_named_and_refused_not_an_internal_error(tmp_path: Path, how: str) -> None:
    subs, out, store = _graded_class(tmp_path)
    _corrupt(store, how)
    from grader.batch.store import StoreCorruptError

    with pytest.raises(StoreCorruptError) as caught:
        rebuild_report(out)
    assert str(store) in caught.value.message and "damaged" in caught.value.message
    assert "--repair" in (caught.value.hint or "")
    with pytest.raises(StoreCorruptError):
        batch(subs, out, fake_grade)
    for command in (["report", str(out)], ["batch", "a.yaml", str(subs), "--out", str(out)]):
        proc = subprocess.run([sys.executable, "-m", "grader.cli", *command], capture_output=True, text=True, check=False,
                              timeout=60)
        assert "internal error" not in proc.stderr
        if command[0] == "report":
            assert proc.returncode == 2 and "damaged" in proc.stderr and "--repair" in proc.stderr


@pytest.mark.parametrize("how", ["truncated", "garbage header", "clobbered magic", "bad row"])
def test_repair_keeps_the_readable_rows_and_the_batch_regrades_the_rest(tmp_path: Path, how: str) -> None:
    subs, out, store = _graded_class(tmp_path)
    _corrupt(store, how)
    grader = CountingGrader()
    summary = batch(subs, out, grader, repair=True)
    assert summary.errors == 0  # type: ignore[attr-defined]
    kept = [p for p in out.iterdir() if p.name.startswith("results.sqlite.corrupt-")]
    assert len(kept) == 1
    regraded = set(grader.calls)
    if how == "bad row":
        assert regraded == {"s07"}
    elif how in ("garbage header", "clobbered magic"):
        assert regraded == set()                   # the header was the only damage: every row survives
    else:
        assert 0 < len(regraded) < 40              # the first half of the file's rows survive
    assert "damaged" in summary.warnings[0]  # type: ignore[attr-defined]
    with ResultStore(store) as fresh:
        assert len(fresh.current()) == 40 and not fresh.missing() and not fresh.bad_rows
    rows = read_csv(out / "grades.csv")
    assert len(rows) == 40


def test_one_bad_row_is_regraded_without_repair_and_left_out_of_a_report(tmp_path: Path) -> None:
    subs, out, store = _graded_class(tmp_path)
    _corrupt(store, "bad row")
    warnings = rebuild_report(out)
    assert any("s07" in w and "could not be read" in w and "not valid JSON" in w for w in warnings)
    assert "s07" not in {row["student"] for row in read_csv(out / "grades.csv")}
    assert "s07" in (out / "index.html").read_text(encoding="utf-8").split("Not graded yet")[1]
    grader = CountingGrader()
    summary = batch(subs, out, grader)
    assert set(grader.calls) == {"s07"}
    assert any("s07" in w and "graded again" in w for w in summary.warnings)  # type: ignore[attr-defined]
    assert len(read_csv(out / "grades.csv")) == 40


def test_repair_of_a_sound_store_changes_nothing(tmp_path: Path) -> None:
    from grader.batch.store import repair_store

    _, _, store = _graded_class(tmp_path)
    before = store.read_bytes()
    report = repair_store(store)
    assert report.moved_to is None and "nothing to repair" in str(report)
    assert store.read_bytes() == before


def test_a_result_too_big_for_a_row_loses_its_models_first(tmp_path: Path) -> None:
    from grader.batch.store import MAX_ROW_BYTES
    from grader.result import RunSummary

    data = dict(TEMPLATES[1])
    result = Result.from_json(data)
    execution = {"root": 1, "tasks": [], "writes": [], "pad": ["y" * 4096] * (MAX_ROW_BYTES // 4096 + 10)}
    result.tests[0].runs = [RunSummary(index=0, exit_code=0, signal=None, wall_ms=1, stdout=b"kept\n",
                                       execution=execution)]
    with ResultStore(tmp_path / "results.sqlite") as store:
        store.begin_batch(assignment_hash="A", grader_version="v", students=["x"])
        store.put(student="x", submission_hash="h", assignment_hash="A", grader_version="v", outcome="graded",
                  result=result)
        (row,) = store._db.execute("SELECT length(result_json) FROM results").fetchall()
        assert row[0] <= MAX_ROW_BYTES
        (back,) = store.current()
    run = back.result.tests[0].runs[0]
    assert run.execution is None and run.stdout == b"kept\n"
    assert back.result.score == result.score


def test_class_index_in_korean(tmp_path: Path) -> None:
    subs = make_class(tmp_path / "subs", ANSWERS)
    out = tmp_path / "out"

    def korean_grade(folder: Path, student: str) -> Result:
        result = fake_grade(folder, student)
        result.assignment_title_ko = "세 프로세스로 fork 하기"
        result.tests[0].name_ko = "hello os 세 번"
        return result

    batch(subs, out, korean_grade, lang="ko")
    html = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in html
    assert "<h1>세 프로세스로 fork 하기</h1>" in html
    assert "<td>hello os 세 번</td>" in html
    for english in ("Pass rate per test", "Most common diagnoses", "full marks", "refused at intake",
                    "<th>Student</th>", "Fork into three processes"):
        assert english not in html, english
    assert "a child was never waited for" not in html                # the example in Korean, not English
    rebuild_report(out, lang="en")
    english_html = (out / "index.html").read_text(encoding="utf-8")
    assert "Pass rate per test" in english_html and "<h1>Fork into three processes</h1>" in english_html
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "report", str(out), "--lang", "ko"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "반 전체 요약" in (out / "index.html").read_text(encoding="utf-8")
