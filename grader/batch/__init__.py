"""Batch grading for TAs: parallel, resumable runs into a SQLite store, with gradebook and class summary."""

from grader.batch.runner import (
    BatchSummary,
    GradeFn,
    OnResult,
    rebuild_report,
    run_batch,
)
from grader.batch.store import ResultStore, StoredResult

__all__ = ["BatchSummary", "GradeFn", "OnResult", "ResultStore", "StoredResult", "rebuild_report", "run_batch"]
