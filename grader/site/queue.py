"""The grading queue behind one small interface, and the embedded default: the submissions table itself,
drained by worker threads in the server's process.

A queued or running submission survives a restart: `recover()` at start puts every `running` row back to
`queued` (its worker died with the process), and a result is stored only by the worker holding the row's
current claim token, so a submission is graded to one stored result however the server stopped.
Only one server may serve a course's database at a time (the embedded queue has no lease renewal).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from typing import Protocol

__all__ = ["DatabaseQueue", "GradingQueue", "WorkerPool"]

log = logging.getLogger("grader.site")


class GradingQueue(Protocol):
    """What the site asks of a queue. A distributed engine implements the same five calls."""

    def enqueue(self, submission_id: int) -> None:
        """Make a saved submission (status queued) known to the workers."""

    def claim(self) -> tuple[int, str] | None:
        """The oldest queued submission, now running, and the claim token its result must carry; or None."""

    def position(self, submission_id: int) -> int | None:
        """1 for the next one to run; None when it is not queued."""

    def recover(self) -> int:
        """At start: put back every submission a dead worker held; how many."""

    def wake(self) -> None:
        """Tell idle workers there may be work."""


class DatabaseQueue:
    """The embedded queue: rows of the submissions table with status queued/running."""

    def __init__(self) -> None:
        self._work = threading.Condition()

    def enqueue(self, submission_id: int) -> None:
        self.wake()

    def wake(self) -> None:
        with self._work:
            self._work.notify_all()

    def wait(self, seconds: float) -> None:
        with self._work:
            self._work.wait(seconds)

    def claim(self) -> tuple[int, str] | None:
        from django.db import transaction
        from django.db.models import F
        from django.utils import timezone

        from grader.site.portal.models import Submission

        token = secrets.token_hex(16)
        for _ in range(5):
            with transaction.atomic():
                first = Submission.objects.filter(status=Submission.QUEUED).order_by("id").values_list(
                    "id", flat=True).first()
                if first is None:
                    return None
                # Conditional update: under concurrent workers only one sees status still queued.
                won = Submission.objects.filter(id=first, status=Submission.QUEUED).update(
                    status=Submission.RUNNING, claim=token, claimed_at=timezone.now(), progress_done=0,
                    progress_test="", starts=F("starts") + 1)
            if won:
                return first, token
        return None

    def position(self, submission_id: int) -> int | None:
        from grader.site.portal.models import Submission

        if not Submission.objects.filter(id=submission_id, status=Submission.QUEUED).exists():
            return None
        return int(Submission.objects.filter(status=Submission.QUEUED, id__lt=submission_id).count()) + 1

    def recover(self) -> int:
        from grader.site.portal.models import Submission

        return int(Submission.objects.filter(status=Submission.RUNNING).update(
            status=Submission.QUEUED, claim="", progress_done=0, progress_test=""))


class WorkerPool:
    """N threads, each claiming one submission at a time and grading it with `grade_one(id, token)`."""

    def __init__(self, queue: DatabaseQueue, grade_one: Callable[[int, str], None], workers: int) -> None:
        self.queue = queue
        self.grade_one = grade_one
        self.workers = workers
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for index in range(self.workers):
            thread = threading.Thread(target=self._loop, name=f"grader-worker-{index + 1}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.queue.wake()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self) -> None:
        from django.db import close_old_connections

        while not self._stop.is_set():
            close_old_connections()
            try:
                claimed = self.queue.claim()
            except Exception:
                log.exception("claiming a submission failed")
                claimed = None
            if claimed is None:
                self.queue.wait(1.0)
                continue
            submission_id, token = claimed
            try:
                self.grade_one(submission_id, token)
            except Exception:
                log.exception("grading submission %s failed", submission_id)
