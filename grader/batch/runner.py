"""Grade a class in parallel, store each result durably the moment it is graded, and write the reports.

    discover -> (per student, in a worker thread) intake -> store lookup
             -> grade_fn (retried once) -> store.put          [durable here]
    then rebuild_report: per-student files, grades.csv, index.html

Re-running grades only students whose (submission hash, assignment hash,
grader version) has no stored result; ``regrade=True`` grades everyone.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from grader.batch.gradebook import (
    LMS_MANIFEST,
    atomic_write,
    write_grades_csv,
    write_junit,
    write_lms_exports,
    write_lms_manifest,
    write_student_outputs,
)
from grader.batch.notes import note_message
from grader.batch.store import STORE_NAME, Outcome, ResultStore, StoredResult, repair_store
from grader.batch.summary import ClassSummary, render_index, roster_view, summarize
from grader.errors import SubmissionError, UsageError
from grader.intake.lms import LmsEntry, discover_class
from grader.intake.roster import Roster
from grader.progress import Progress
from grader.result import Diagnosis, Result
from grader.submission import intake

__all__ = ["BatchSummary", "GradeFn", "OnResult", "rebuild_report", "run_batch"]

GradeFn = Callable[[Path, str], Result]
"""Grade one clean submission folder for one student id; may block (Docker) and is called from threads."""

OnResult = Callable[[str, Result], None]
"""Called in the batch's own thread once a student's result is stored (or reused)."""

_WORK_DIR = ".work"
log = logging.getLogger(__name__)


@dataclass(slots=True)
class BatchSummary:
    """What one run of the batch did."""

    out_dir: Path
    total: int = 0          # students found
    graded: int = 0         # graded by this run
    reused: int = 0         # already in the store, not graded again
    rejected: int = 0       # refused at intake (bad or unsafe archive)
    errors: int = 0         # grade_fn failed twice; retried on the next run
    duration_ms: int = 0
    warnings: list[str] = field(default_factory=list)
    exit_code: int = 0      # of the class as stored after this run (ClassSummary.exit_code): 0, 1 or 3

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def __str__(self) -> str:
        line = (
            f"{self.total} submissions: {self.graded} graded, {self.reused} already graded, "
            f"{self.rejected} refused at intake, {self.errors} grader errors in {self.duration_ms / 1000:.1f} s"
        )
        return "\n".join([line, *(f"warning: {w}" for w in self.warnings)])

    def count(self, kind: str) -> None:
        """Count one finished student: kind is graded, reused, rejected or error."""
        name = "errors" if kind == "error" else kind
        setattr(self, name, getattr(self, name) + 1)


# ----------------------------------------------------------------- results the batch makes itself


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _rejected_result(student: str, message: str) -> Result:
    return Result(
        assignment_id="",
        assignment_title="",
        submission=student,
        score=0.0,
        max_score=0.0,
        error=f"Your submission could not be taken in: {message}",
        diagnoses=[Diagnosis(code="submission_rejected", message=message)],
    )


def _internal_error_result(student: str, exc: BaseException) -> Result:
    return Result(
        assignment_id="",
        assignment_title="",
        submission=student,
        score=0.0,
        max_score=0.0,
        error=f"The grader failed on this submission ({type(exc).__name__}: {exc}); it is not your fault "
        "and it will be graded again.",
    )


def _raw_hash(path: Path, message: str) -> str:
    """The key of a refused submission: its bytes when it is a file, so a fixed re-upload is retried."""
    digest = hashlib.sha256()
    if path.is_file() and not path.is_symlink():
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 16):
                digest.update(chunk)
    else:
        digest.update(message.encode("utf-8"))
    return "rejected:" + digest.hexdigest()


# ----------------------------------------------------------------- one student


@dataclass(slots=True)
class _Done:
    student: str
    result: Result
    kind: str  # "graded" | "reused" | "rejected" | "error"
    note: str = ""


class _Grader:
    """Everything a worker needs to take one student from path to stored result."""

    def __init__(
        self,
        *,
        store: ResultStore,
        grade_fn: GradeFn,
        work_dir: Path,
        assignment_hash: str,
        grader_version: str,
        regrade: bool,
        out_dir: Path,
        lang: str,
        notes: dict[str, list[str]] | None = None,
    ) -> None:
        self.notes = notes or {}       # the LMS intake's lines per student (renamed files, late)
        self.out_dir = out_dir
        self.lang = lang
        self.pages_written: set[str] = set()  # students whose pages this batch wrote already
        self.store = store
        self.grade_fn = grade_fn
        self.work_dir = work_dir
        self.assignment_hash = assignment_hash
        self.grader_version = grader_version
        self.regrade = regrade
        self.stop = threading.Event()

    def _cached(self, student: str, submission_hash: str) -> StoredResult | None:
        if self.regrade:
            return None
        stored = self.store.get(student, submission_hash, self.assignment_hash, self.grader_version)
        if stored is None or stored.outcome == "internal_error":
            return None
        return stored

    def _put(self, student: str, submission_hash: str, outcome: Outcome, result: Result) -> None:
        """Store the result, then write the student's pages here in the worker, in parallel with grading."""
        self.store.put(
            student=student,
            submission_hash=submission_hash,
            assignment_hash=self.assignment_hash,
            grader_version=self.grader_version,
            outcome=outcome,
            result=result,
        )
        stored = StoredResult(student=student, submission_hash=submission_hash, assignment_hash=self.assignment_hash,
                              grader_version=self.grader_version, outcome=outcome, result=result)
        if not write_student_outputs(self.out_dir, stored, lang=self.lang):
            self.pages_written.add(student)

    def __call__(self, student: str, path: Path) -> _Done:
        try:
            submission = intake(path, self.work_dir, student=student)
        except SubmissionError as exc:
            key = _raw_hash(path, exc.message)
            if (stored := self._cached(student, key)) is not None:
                self.store.point_roster(student, key)
                return _Done(student, stored.result, "reused")
            refused = self._stamp(_rejected_result(student, exc.message), key, 0)
            self._put(student, key, "rejected", refused)
            return _Done(student, refused, "rejected", exc.message)
        try:
            if (stored := self._cached(student, submission.content_hash)) is not None:
                self.store.point_roster(student, submission.content_hash)
                return _Done(student, stored.result, "reused")
            started = time.monotonic()
            result, failure = self._grade(submission.path, student)
            elapsed_ms = int((time.monotonic() - started) * 1000)
            if failure is not None:
                failed = self._stamp(_internal_error_result(student, failure), submission.content_hash, elapsed_ms)
                self._put(student, submission.content_hash, "internal_error", failed)
                return _Done(student, failed, "error", f"{type(failure).__name__}: {failure}")
            assert result is not None
            graded = self._stamp(result, submission.content_hash, elapsed_ms)
            self._put(student, submission.content_hash, "graded", graded)
            return _Done(student, graded, "graded")
        finally:
            shutil.rmtree(submission.path, ignore_errors=True)

    def _grade(self, folder: Path, student: str) -> tuple[Result | None, BaseException | None]:
        """grade_fn, retried once; an exception twice is returned, not raised."""
        failure: BaseException | None = None
        for _attempt in range(2):
            if self.stop.is_set():
                raise _Stopped()
            try:
                result = self.grade_fn(folder, student)
                if not isinstance(result, Result):
                    raise TypeError(f"grade_fn returned {type(result).__name__}, not Result")
                return result, None
            except Exception as exc:  # noqa: BLE001 - grade_fn is foreign code: any failure is this student's error
                failure = exc
                log.info("grading %s failed (attempt %d of 2): %s: %s", student, _attempt + 1,
                         type(exc).__name__, exc)
                log.debug("the failure of %s", student, exc_info=True)
                if os.environ.get("GRADER_DEBUG"):
                    traceback.print_exc(file=sys.stderr)
        return None, failure

    def _stamp(self, result: Result, submission_hash: str, elapsed_ms: int) -> Result:
        """The batch's keys on the result, so the stored JSON says what it was graded against."""
        intake_notes = [_note_diagnosis(note) for note in self.notes.get(result.submission, [])]
        return replace(
            result,
            diagnoses=[*intake_notes, *result.diagnoses],
            submission_hash=submission_hash,
            assignment_hash=self.assignment_hash,
            grader_version=self.grader_version,
            graded_at=result.graded_at or _now(),
            duration_ms=result.duration_ms or elapsed_ms,
        )


def _note_diagnosis(note: str) -> Diagnosis:
    """An LMS intake note for the student's page: with its catalog template when one fits (grader.batch.notes),
    so the page says it in its own language; else the English line alone."""
    message = note_message(note)
    if message is None:
        return Diagnosis(code="lms_intake", message=note, params={"note": note})
    return Diagnosis(code="lms_intake", message=note, params={**message.params, "note": note},
                     template=message.template)


class _Stopped(Exception):
    """The batch is shutting down; the worker drops its student untouched."""


# ----------------------------------------------------------------- progress


_TALLY = {"graded": "graded", "reused": "reused", "rejected": "refused", "error": "errors"}


class _Progress:
    """The batch's line (grader.progress): a redrawn line on a terminal, a plain one every few seconds
    otherwise; a refused or errored student gets a line of its own above it."""

    def __init__(self, total: int, *, enabled: bool | None, stream: TextIO, console: Any | None = None) -> None:
        self.line = Progress("grading", total, tuple(_TALLY.values()), stream=stream, enabled=enabled,
                             console=console)

    def advance(self, done: _Done) -> None:
        if done.kind in ("rejected", "error"):
            self.line.echo(f"{done.student}: {done.kind}: {done.note}")
        self.line.advance(_TALLY[done.kind], done.note if done.kind in ("rejected", "error") else "")
        log.info("%s: %s", done.student, done.kind if not done.note else f"{done.kind}: {done.note}")

    def close(self) -> None:
        self.line.close()


# ----------------------------------------------------------------- the batch


@dataclass(slots=True)
class _LmsOptions:
    """How the class was downloaded and which gradebooks go back (see run_batch)."""

    layout: str = "auto"
    required: list[str] = field(default_factory=list)
    deadline: str | None = None
    roster: Roster | None = None
    exports: list[str] = field(default_factory=list)
    title: str = ""


@contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """One batch per results folder at a time; the kernel drops the lock if the batch is killed."""
    with (out_dir / ".batch.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"another batch is already writing into {str(out_dir)!r}") from None
        yield


@contextmanager
def _pool(jobs: int, grader: _Grader) -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
    try:
        yield pool
    except BaseException:
        # Ctrl-C or a store failure: queued students are dropped, running ones finish their grade_fn call.
        grader.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def run_batch(
    *,
    submissions: Path,
    out_dir: Path,
    grade_fn: GradeFn,
    assignment_hash: str,
    grader_version: str,
    jobs: int | None = None,
    regrade: bool = False,
    progress: bool | None = None,
    on_result: OnResult | None = None,
    lang: str = "en",
    repair: bool = False,
    layout: str = "auto",
    required_files: Collection[str] = (),
    deadline: str | None = None,
    roster: Roster | None = None,
    exports: Collection[str] = (),
    assignment_title: str = "",
) -> BatchSummary:
    """Grade every submission under SUBMISSIONS into OUT_DIR; resumable, see the module docstring.

    `repair`: first copy the readable rows of a damaged store into a fresh one (`repair_store`).
    `layout`: how SUBMISSIONS was downloaded (grader.intake.lms.LAYOUTS, or ``auto``); `required_files`
    lets a file that differs from a required one only by the LMS's suffix stand for it; `roster` and
    `exports` ("canvas", "moodle", "blackboard", "csv") are kept in lms.json so `grader report` rewrites them.
    """
    started = time.monotonic()
    submissions = Path(submissions)
    out_dir = Path(out_dir)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise UsageError(f"jobs must be at least 1, not {workers!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(out_dir):
        repaired = repair_store(out_dir / STORE_NAME) if repair else None
        summary = _run_locked(
            submissions=submissions,
            out_dir=out_dir,
            grade_fn=grade_fn,
            assignment_hash=assignment_hash,
            grader_version=grader_version,
            workers=workers,
            regrade=regrade,
            progress=progress,
            on_result=on_result,
            lang=lang,
            lms=_LmsOptions(layout=layout, required=list(required_files), deadline=deadline, roster=roster,
                            exports=list(exports), title=assignment_title),
        )
    if repaired is not None:
        summary.warnings.insert(0, str(repaired))
    summary.duration_ms = int((time.monotonic() - started) * 1000)
    return summary


def _run_locked(
    *,
    submissions: Path,
    out_dir: Path,
    grade_fn: GradeFn,
    assignment_hash: str,
    grader_version: str,
    workers: int,
    regrade: bool,
    progress: bool | None,
    on_result: OnResult | None,
    lang: str,
    lms: _LmsOptions,
) -> BatchSummary:
    work = out_dir / _WORK_DIR
    shutil.rmtree(work, ignore_errors=True)  # leftovers of a killed run
    ignored: list[str] = []
    try:
        layout, entries = discover_class(submissions, work_dir=work / "class", layout=lms.layout,
                                         required=lms.required, deadline=lms.deadline, ignored=ignored)
    except SubmissionError as exc:
        raise UsageError(f"cannot read submissions {str(submissions)!r}: {exc.message}") from None
    found = [(entry.student, entry.path) for entry in entries]
    summary = BatchSummary(out_dir=out_dir, total=len(found))
    if ignored:
        summary.warnings.append(f"{len(ignored)} files fit no student in the {layout} layout and were not graded: "
                                + ", ".join(ignored[:10]))
    write_lms_manifest(out_dir, layout=layout, entries=entries, roster=lms.roster, exports=lms.exports,
                       title=lms.title)

    with ResultStore(out_dir / STORE_NAME) as store:
        store.begin_batch(
            assignment_hash=assignment_hash, grader_version=grader_version, students=[sid for sid, _ in found]
        )
        grader = _Grader(
            store=store,
            grade_fn=grade_fn,
            work_dir=work / "students",
            assignment_hash=assignment_hash,
            grader_version=grader_version,
            regrade=regrade,
            out_dir=out_dir,
            lang=lang,
            notes=_entry_notes(entries),
        )
        bar = _Progress(len(found), enabled=progress, stream=sys.stderr)
        try:
            with _pool(workers, grader) as pool:
                pending: set[Future[_Done]] = {pool.submit(grader, sid, path) for sid, path in found}
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        done = future.result()  # a store failure is infrastructure: it stops the batch
                        summary.count(done.kind)
                        bar.advance(done)
                        if on_result is not None:
                            on_result(done.student, done.result)
        finally:
            bar.close()
        summary.warnings.extend(
            f"{store.path}: the stored result of {bad.student} could not be read ({bad.problem}); graded again"
            for bad in store.bad_rows)
    warnings, index = _rebuild(out_dir, lang=lang, pages_written=grader.pages_written)
    summary.warnings.extend(warnings)
    summary.exit_code = index.exit_code
    shutil.rmtree(work, ignore_errors=True)
    return summary


def _entry_notes(entries: list[LmsEntry]) -> dict[str, list[str]]:
    return {entry.student: list(entry.notes) for entry in entries if entry.notes}


def _slim(result: Result) -> Result:
    """The result without its runs' output and models: what the class-wide files need, at a fraction of the memory."""
    return replace(result, tests=[
        replace(test, runs=[replace(run, stdout=b"", stderr=b"", execution=None) for run in test.runs])
        for test in result.tests
    ])


def rebuild_report(out_dir: Path, *, lang: str = "en", pages_written: Collection[str] = (),
                   repair: bool = False) -> list[str]:
    """Write every page and export from the store, grading nothing (`grader report DIR`); returns warnings.

    A stored result that cannot be read is left out (a warning names it; the index lists the
    student as not graded); `repair` first rebuilds a damaged store from its readable rows.
    """
    return _rebuild(out_dir, lang=lang, pages_written=pages_written, repair=repair)[0]


def _manifest(out_dir: Path) -> dict[str, Any]:
    """lms.json as the LMS intake wrote it ({} when absent or unreadable: write_lms_exports warns)."""
    try:
        data = json.loads((out_dir / LMS_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _rebuild(out_dir: Path, *, lang: str, pages_written: Collection[str] = (),
             repair: bool = False) -> tuple[list[str], ClassSummary]:
    out_dir = Path(out_dir)
    store_path = out_dir / STORE_NAME
    if not store_path.is_file():
        raise UsageError(f"{str(out_dir)!r} holds no {STORE_NAME}: run a batch into it first")
    warnings: list[str] = []
    if repair:
        warnings.append(str(repair_store(store_path)))
    stored: list[StoredResult] = []
    with ResultStore(store_path) as store:
        missing = store.missing()
        for item in store.iter_current():
            if item.student not in pages_written:
                warnings.extend(write_student_outputs(out_dir, item, lang=lang))
            stored.append(replace(item, result=_slim(item.result)))
        for bad in store.bad_rows:
            warnings.append(f"{store.path}: the stored result of {bad.student} could not be read ({bad.problem}); "
                            "it is left out: run the batch again to grade it, or with --repair")
            if bad.student not in missing:
                missing.append(bad.student)
    write_grades_csv(out_dir, stored)
    warnings.extend(write_lms_exports(out_dir, stored))
    warnings.extend(write_junit(out_dir, stored))
    names, absent = roster_view(stored, _manifest(out_dir))
    index = summarize(stored, missing=sorted(missing), names=names, absent=absent)
    atomic_write(out_dir / "index.html", render_index(index, lang=lang))
    if missing:
        warnings.append(f"{len(missing)} students have no result yet: {', '.join(missing[:10])}")
    return warnings, index
