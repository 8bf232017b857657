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
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Self

from grader.result import Result

__all__ = ["STORE_NAME", "Outcome", "ResultStore", "StoredResult"]

STORE_NAME = "results.sqlite"

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


class ResultStore:
    """The SQLite results store of one batch folder; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # Autocommit mode: every transaction is opened explicitly with BEGIN IMMEDIATE.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._lock:
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (_SCHEMA_VERSION,)
            )

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

    def __enter__(self) -> Self:
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
                (datetime.now(UTC).isoformat(timespec="seconds"),),
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
        return None if row is None else _decode(row)

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
        payload = json.dumps(result.to_json(), ensure_ascii=False, sort_keys=True)
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
                yield _decode(row)
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


def _decode(row: tuple[str, str, str, str, str, str]) -> StoredResult:
    student, submission_hash, assignment_hash, grader_version, outcome, payload = row
    return StoredResult(
        student=student,
        submission_hash=submission_hash,
        assignment_hash=assignment_hash,
        grader_version=grader_version,
        outcome=outcome,  # type: ignore[arg-type]
        result=Result.from_json(json.loads(payload)),
    )
