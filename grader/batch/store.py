"""The durable results store: one SQLite row per (student, submission hash, assignment hash, grader version).

Each result is committed in its own transaction the moment it is graded, in WAL
mode with ``synchronous=FULL``: a ``kill -9`` loses nothing committed (WAL alone
guarantees that), and FULL also syncs the WAL on every commit so a power loss
does not roll back results either. One fsync per result costs nothing next to a
container run.

The ``roster`` table records which submission each student has *now*; the
gradebook is the roster joined with the results for the current assignment hash
and grader version, so old rows stay as history and are reused if a student
goes back to an earlier submission.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from grader.errors import GraderError
from grader.result import Result

__all__ = ["MAX_ROW_BYTES", "STORE_NAME", "BadRow", "Outcome", "RepairReport", "ResultStore", "StoreCorruptError",
           "StoredResult", "repair_store", "result_payload"]

STORE_NAME = "results.sqlite"
MAX_ROW_BYTES = 8 << 20   # one result's JSON in the store; a bigger one loses its runs' models, then output
_SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreCorruptError(GraderError):
    """The results store cannot be read as a whole; `grader batch --repair` keeps what can be read."""


@dataclass(slots=True)
class BadRow:
    """A stored row whose result cannot be decoded: it counts as not graded, and is graded again."""

    student: str
    submission_hash: str
    problem: str


@dataclass(slots=True)
class RepairReport:
    """What `repair_store` did."""

    path: Path
    moved_to: Path | None         # the damaged store, kept beside the new one (None: nothing to move)
    kept: int                     # result rows copied into the fresh store
    lost: int | None              # rows that could not be read or decoded (None: the damage hides how many)
    problem: str                  # what was wrong ("" when the store was sound)

    def __str__(self) -> str:
        if self.moved_to is None:
            return f"{self.path}: no damage found, nothing to repair"
        lost = "an unknown number of" if self.lost is None else str(self.lost)
        return (f"{self.path} was damaged ({self.problem}); {self.kept} results kept in a fresh store, "
                f"{lost} results could not be read (those students are graded again); "
                f"the damaged file is kept as {self.moved_to}")

# graded: grade_fn returned a result; rejected: intake refused the submission;
# internal_error: grade_fn failed twice (retried on the next run, never reused).
Outcome = Literal["graded", "rejected", "internal_error"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    student         TEXT NOT NULL,
    submission_hash TEXT NOT NULL,
    assignment_hash TEXT NOT NULL,
    grader_version  TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('graded', 'rejected', 'internal_error')),
    score           REAL NOT NULL,
    max_score       REAL NOT NULL,
    duration_ms     INTEGER NOT NULL,
    graded_at       TEXT NOT NULL,
    result_json     TEXT NOT NULL,
    PRIMARY KEY (student, submission_hash, assignment_hash, grader_version)
);
CREATE TABLE IF NOT EXISTS roster (
    student         TEXT PRIMARY KEY,
    submission_hash TEXT
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
_SCHEMA_VERSION = "1"


@dataclass(slots=True)
class StoredResult:
    """One stored row, its result decoded."""

    student: str
    submission_hash: str
    assignment_hash: str
    grader_version: str
    outcome: Outcome
    result: Result


def _damaged(path: Path, problem: str) -> StoreCorruptError:
    return StoreCorruptError(
        f"the results store {str(path)!r} is damaged: {problem}",
        hint="run the same `grader batch` command with --repair (or `grader report DIR --repair`): it keeps "
        "every readable result in a fresh store, keeps the damaged file as <name>.corrupt-<time> and "
        "the next batch grades the rest again",
    )


def _check(db: sqlite3.Connection) -> str:
    """'' when SQLite's own quick_check passes, else its first complaint."""
    rows = db.execute("PRAGMA quick_check").fetchall()
    problems = [str(r[0]) for r in rows if str(r[0]) != "ok"]
    return "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")


class ResultStore:
    """The SQLite results store of one batch folder; safe to share between threads.

    Opening checks the file (its header and SQLite's quick_check) and raises StoreCorruptError
    naming the file and the damage; a single row that does not decode is reported in `bad_rows`
    and treated as not graded.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.bad_rows: list[BadRow] = []
        _check_header(self.path)
        # Autocommit mode: every transaction is opened explicitly with BEGIN IMMEDIATE.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=30000")
            problem = _check(self._db)
            if problem:
                raise _damaged(self.path, f"SQLite's integrity check says {problem}")
            with self._lock:
                self._db.executescript(_SCHEMA)
                self._db.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (_SCHEMA_VERSION,)
                )
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise _damaged(self.path, f"SQLite cannot read it ({exc})") from None
        except StoreCorruptError:
            self._db.close()
            raise

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ batch state

    def begin_batch(self, *, assignment_hash: str, grader_version: str, students: Iterable[str]) -> None:
        """Record what the current batch grades; students no longer submitted leave the roster."""
        wanted = list(students)
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('assignment_hash', ?)", (assignment_hash,))
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('grader_version', ?)", (grader_version,))
            db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('batch_started_at', ?)",
                (datetime.now(timezone.utc).isoformat(timespec="seconds"),),
            )
            db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted(student TEXT PRIMARY KEY)")
            db.execute("DELETE FROM wanted")
            db.executemany("INSERT OR IGNORE INTO wanted(student) VALUES (?)", [(s,) for s in wanted])
            db.execute("DELETE FROM roster WHERE student NOT IN (SELECT student FROM wanted)")
            db.executemany("INSERT OR IGNORE INTO roster(student, submission_hash) VALUES (?, NULL)", [(s,) for s in wanted])

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # ------------------------------------------------------------------ results

    def get(
        self, student: str, submission_hash: str, assignment_hash: str, grader_version: str
    ) -> StoredResult | None:
        with self._lock:
            row = self._db.execute(
                "SELECT student, submission_hash, assignment_hash, grader_version, outcome, result_json "
                "FROM results WHERE student = ? AND submission_hash = ? AND assignment_hash = ? "
                "AND grader_version = ?",
                (student, submission_hash, assignment_hash, grader_version),
            ).fetchone()
        return None if row is None else self._decode_or_note(row)

    def _decode_or_note(self, row: tuple[str, str, str, str, str, str]) -> StoredResult | None:
        try:
            return _decode(row)
        except ValueError as exc:
            bad = BadRow(student=row[0], submission_hash=row[1], problem=str(exc))
            with self._lock:
                if bad not in self.bad_rows:
                    self.bad_rows.append(bad)
            return None

    def put(
        self,
        *,
        student: str,
        submission_hash: str,
        assignment_hash: str,
        grader_version: str,
        outcome: Outcome,
        result: Result,
    ) -> None:
        """Store one result and make it the student's current submission, in one durable commit."""
        payload = result_payload(result)
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO results(student, submission_hash, assignment_hash, grader_version, "
                "outcome, score, max_score, duration_ms, graded_at, result_json) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    student,
                    submission_hash,
                    assignment_hash,
                    grader_version,
                    outcome,
                    float(result.score),
                    float(result.max_score),
                    int(result.duration_ms),
                    result.graded_at,
                    payload,
                ),
            )
            db.execute(
                "INSERT OR REPLACE INTO roster(student, submission_hash) VALUES (?, ?)", (student, submission_hash)
            )

    def point_roster(self, student: str, submission_hash: str) -> None:
        """Make an already stored result the student's current one (a reused result)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO roster(student, submission_hash) VALUES (?, ?)", (student, submission_hash)
            )

    def current(self) -> list[StoredResult]:
        """The gradebook: each roster student's result for the current assignment and grader, by student id."""
        return list(self.iter_current())

    def iter_current(self, *, batch: int = 32) -> Iterator[StoredResult]:
        """`current()` one result at a time, so a class's report never holds every full result at once."""
        assignment_hash = self.meta("assignment_hash")
        grader_version = self.meta("grader_version")
        after = ""
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT r.student, r.submission_hash, r.assignment_hash, r.grader_version, r.outcome, "
                    "r.result_json FROM roster AS s JOIN results AS r ON r.student = s.student "
                    "AND r.submission_hash = s.submission_hash "
                    "WHERE r.assignment_hash = ? AND r.grader_version = ? AND r.student > ? "
                    "ORDER BY r.student LIMIT ?",
                    (assignment_hash, grader_version, after, batch),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                stored = self._decode_or_note(row)
                if stored is not None:
                    yield stored
            after = rows[-1][0]

    def missing(self) -> list[str]:
        """Roster students without a current result (a batch that was stopped early)."""
        keys = (self.meta("assignment_hash"), self.meta("grader_version"))
        with self._lock:
            rows = self._db.execute(
                "SELECT s.student FROM roster AS s WHERE NOT EXISTS (SELECT 1 FROM results AS r "
                "WHERE r.student = s.student AND r.submission_hash = s.submission_hash "
                "AND r.assignment_hash = ? AND r.grader_version = ?) ORDER BY s.student",
                keys,
            ).fetchall()
        return [str(r[0]) for r in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])


def result_payload(result: Result) -> str:
    """The row's JSON, at most MAX_ROW_BYTES: past it, runs lose their models, then their output."""
    data = result.to_json()
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
    for strip in (("execution",), ("execution", "stdout", "stderr")):
        if len(payload.encode("utf-8")) <= MAX_ROW_BYTES:
            break
        for test in data.get("tests") or []:
            for run in test.get("runs") or []:
                for key in strip:
                    run[key] = None if key == "execution" else {"text": ""}
                if "stdout" in strip:
                    run["stdout_truncated"] = True
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return payload


class _BadPayload(ValueError):
    pass


def _decode(row: tuple[str, str, str, str, str, str]) -> StoredResult:
    """A row as a StoredResult; ValueError (naming what is wrong) when its result does not decode."""
    student, submission_hash, assignment_hash, grader_version, outcome, payload = row
    try:
        data = json.loads(payload)
        if not isinstance(data, dict):
            raise _BadPayload(f"its result is a JSON {type(data).__name__}, not an object")
        result = Result.from_json(data)
    except json.JSONDecodeError as exc:
        raise _BadPayload(f"its result is not valid JSON ({exc.msg} at character {exc.pos})") from None
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        if isinstance(exc, _BadPayload):
            raise
        raise _BadPayload(f"its result does not have the fields of a result ({type(exc).__name__}: {exc})") from None
    if outcome not in ("graded", "rejected", "internal_error"):
        raise _BadPayload(f"its outcome {outcome!r} is not one the grader writes")
    return StoredResult(
        student=student,
        submission_hash=submission_hash,
        assignment_hash=assignment_hash,
        grader_version=grader_version,
        outcome=outcome,  # type: ignore[arg-type]
        result=result,
    )


def _check_header(path: Path) -> None:
    """A file that exists must start like an SQLite database (an empty file is a new store)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except FileNotFoundError:
        return
    if head and not head.startswith(_SQLITE_MAGIC):
        raise _damaged(path, "its first bytes are not an SQLite header (the file was overwritten or is not a store)")
    if head and len(head) < 100:
        raise _damaged(path, f"it is {len(head)} bytes long, shorter than an SQLite header (truncated)")


_PAGE_SIZES = (4096, 1024, 2048, 8192, 16384, 32768, 65536)


def _header(page_size: int, pages: int) -> bytes:
    """A plain SQLite header for a file whose own header is gone (rollback journal, UTF-8, format 4)."""
    return (_SQLITE_MAGIC + (page_size if page_size < 65536 else 1).to_bytes(2, "big") + bytes([1, 1, 0, 64, 32, 32])
            + (1).to_bytes(4, "big") + pages.to_bytes(4, "big") + bytes(8) + (1).to_bytes(4, "big")
            + (4).to_bytes(4, "big") + bytes(8) + (1).to_bytes(4, "big") + bytes(32)
            + (1).to_bytes(4, "big") + (3040001).to_bytes(4, "big"))


def _mend_header(copy: Path) -> None:
    """Make a copy's header agree with its file: the magic string, a page size, the page count.

    A truncated file keeps its old page count (SQLite then refuses every page); a clobbered header
    hides sound pages. Page 1's tables start right after the 100 header bytes, so a rebuilt header
    with the right page size makes them readable again.
    """
    size = copy.stat().st_size
    with copy.open("r+b") as fh:
        head = fh.read(100)
        stated = int.from_bytes(head[16:18], "big") if len(head) >= 18 else 0
        stated = 65536 if stated == 1 else stated
        attempts: list[bytes] = []
        if stated in _PAGE_SIZES and len(head) == 100:
            # Only the magic string or the page count is wrong: keep every other field as it was.
            attempts.append(_SQLITE_MAGIC + head[16:28] + (size // stated).to_bytes(4, "big") + head[32:92]
                            + head[24:28] + head[96:])
        attempts.extend(_header(p, size // p) for p in _PAGE_SIZES)
        for fixed in attempts:
            fh.seek(0)
            fh.write(fixed)
            fh.flush()
            try:
                db = sqlite3.connect(copy)
                try:
                    db.execute("SELECT count(*) FROM sqlite_schema").fetchone()
                    db.execute("SELECT rowid, result_json FROM results ORDER BY rowid LIMIT 1").fetchone()
                finally:
                    db.close()
                return
            except sqlite3.DatabaseError:
                continue


def _salvage(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]],
                                  int | None]:
    """Every results, roster and meta row that can still be read, and how many result rows could not.

    Rows are read one rowid at a time, so a damaged page loses only the rows on it.
    """
    copy = path.with_name(path.name + ".salvage")
    shutil.copyfile(path, copy)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            shutil.copyfile(side, copy.with_name(copy.name + suffix))
    try:
        if copy.stat().st_size >= 512:
            _mend_header(copy)
        results: list[tuple[object, ...]] = []
        lost: int | None = 0
        roster: list[tuple[object, ...]] = []
        meta: list[tuple[object, ...]] = []
        try:
            db = sqlite3.connect(copy, isolation_level=None)
        except sqlite3.DatabaseError:
            return [], [], [], None
        try:
            columns = ("student, submission_hash, assignment_hash, grader_version, outcome, score, max_score, "
                       "duration_ms, graded_at, result_json")
            for table, cols, out in (("results", columns, results), ("roster", "student, submission_hash", roster),
                                     ("meta", "key, value", meta)):
                try:
                    top = db.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
                except sqlite3.DatabaseError:
                    top = 1 << 16       # the table's right edge is gone: probe rowids until a long miss
                    if table == "results":
                        lost = None
                misses = 0
                rowid = 0
                while rowid < top and misses < 4096:
                    rowid += 1
                    try:
                        row = db.execute(f"SELECT {cols} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
                    except sqlite3.DatabaseError:
                        if table == "results" and lost is not None:
                            lost += 1
                        misses += 1
                        continue
                    if row is None:
                        misses += 1
                        continue
                    misses = 0
                    if table == "results":
                        try:
                            _decode((row[0], row[1], row[2], row[3], row[4], row[9]))
                        except (ValueError, TypeError):
                            if lost is not None:
                                lost += 1
                            continue
                    out.append(row)
        finally:
            db.close()
        return results, roster, meta, lost
    finally:
        for name in (copy.name, copy.name + "-wal", copy.name + "-shm"):
            copy.with_name(name).unlink(missing_ok=True)


def repair_store(path: Path) -> RepairReport:
    """Keep every readable, decodable row of a damaged store in a fresh one; move the damaged one aside.

    The damaged file becomes `<name>.corrupt-<UTC timestamp>` next to the new store; a sound store
    is left as it is. Rows that could not be kept are graded again by the next batch.
    """
    path = Path(path)
    if not path.exists():
        return RepairReport(path=path, moved_to=None, kept=0, lost=0, problem="")
    problem = ""
    try:
        with ResultStore(path) as store:
            with store._lock:
                rows = store._db.execute(
                    "SELECT student, submission_hash, assignment_hash, grader_version, outcome, result_json "
                    "FROM results").fetchall()
            for row in rows:
                store._decode_or_note(row)
            if store.bad_rows:
                problem = f"{len(store.bad_rows)} results do not decode (first: {store.bad_rows[0].student}: " \
                          f"{store.bad_rows[0].problem})"
    except StoreCorruptError as exc:
        problem = exc.message.split(": ", 1)[-1]
    if not problem:
        return RepairReport(path=path, moved_to=None, kept=0, lost=0, problem="")
    results, roster, meta, lost = _salvage(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    moved = path.with_name(f"{path.name}.corrupt-{stamp}")
    os.replace(path, moved)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, moved.with_name(moved.name + suffix))
    with ResultStore(path) as fresh, fresh._transaction() as db:
        db.executemany("INSERT OR REPLACE INTO results(student, submission_hash, assignment_hash, grader_version, "
                       "outcome, score, max_score, duration_ms, graded_at, result_json) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", results)
        db.executemany("INSERT OR REPLACE INTO roster(student, submission_hash) VALUES (?, ?)", roster)
        db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", meta)
    return RepairReport(path=path, moved_to=moved, kept=len(results), lost=lost, problem=problem)
