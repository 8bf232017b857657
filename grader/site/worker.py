"""Grading one queued submission, off the request path: the same `grader.grading.grade` as `grader run`,
in the sandbox `make_sandbox` picks, with each test run on its own so the page can say "test k of n"."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.sandbox.base import SandboxResult
from grader.sandbox.records import Limits, RunRequest

__all__ = ["ProgressSandbox", "grade_submission", "submission_folder"]

log = logging.getLogger("grader.site")


@dataclass(slots=True)
class ProgressSandbox:
    """A sandbox that runs one test's requests per call to the real one and reports each start.

    Every test gets a fresh session (container), which keeps each run isolated as the Sandbox contract
    demands; the price is one container start per test instead of one per submission.
    """

    inner: Any
    on_test: Callable[[int, int, str], None]
    split: bool = True        # False: one call for every request (one session), no steps to report

    def run(self, submission: Path, requests: Sequence[RunRequest], *, limits: Limits,
            build: Sequence[str] | None = None) -> SandboxResult:
        if not self.split:
            return self.inner.run(submission, requests, limits=limits, build=build)  # type: ignore[no-any-return]
        merged = SandboxResult()
        for index, request in enumerate(requests):
            self.on_test(index + 1, len(requests), request.name)
            part: SandboxResult = self.inner.run(submission, [request], limits=limits, build=build)
            merged.runs.update(part.runs)
            merged.image_id = merged.image_id or part.image_id
            merged.limits_in_force.update(part.limits_in_force)
            merged.internal_error = merged.internal_error or part.internal_error
            if part.build is not None:
                merged.build = part.build
                if not part.build.ok:
                    break      # a build that fails once fails for every test: grading reports it once
        return merged


BROKER_RETRY_S = 5.0


def _broker_unavailable(exc: GraderError) -> bool:
    """The broker or its workers are gone for now (not a worker's answer about this submission)."""
    from grader.distributed.broker import BrokerError
    from grader.distributed.client import WorkerRefusal

    return isinstance(exc, BrokerError) and not isinstance(exc, WorkerRefusal)


def submission_folder(site_dir: Path, submission_id: int) -> Path:
    """Where a submission's files are kept: uploads/<id>/files (written whole, then renamed in)."""
    return Path(site_dir) / "uploads" / str(submission_id) / "files"


# grade a submission somewhere else (grader serve --broker): (assignment, its file, folder, label) -> Result
RemoteGrade = Callable[[Any, Path, str], Any]


def grade_submission(submission_id: int, token: str, *, course: Any, site_dir: Path,
                     make_sandbox: Callable[[str], Any], remote: RemoteGrade | None = None) -> None:
    """Grade a claimed submission and store its result, if the claim is still this worker's.

    remote: grade through the broker's workers instead of a sandbox here (no per-test progress then). When
    the broker has no worker for a while, the submission goes back to the queue instead of failing."""
    from django.db import DatabaseError
    from django.db.models import F
    from django.utils import timezone
    from django.utils.translation import gettext_noop

    from grader.batch.store import result_payload
    from grader.grading import grade
    from grader.site.portal.models import Submission
    from grader.site.rules import score_after_penalty

    sub = Submission.objects.select_related("user").get(id=submission_id)
    spec = course.specs[sub.assignment]
    mine = Submission.objects.filter(id=submission_id, claim=token, status=Submission.RUNNING)

    def on_test(number: int, total: int, name: str) -> None:
        mine.update(progress_done=number - 1, progress_total=total, progress_test=name[:300])

    try:
        if remote is not None:
            result = remote(spec, submission_folder(site_dir, submission_id), sub.user.get_username())
        else:
            sandbox = ProgressSandbox(make_sandbox(spec.sandbox), on_test, split=course.live_steps)
            result = grade(spec, submission_folder(site_dir, submission_id), sandbox, label=sub.user.get_username())
    except GraderError as exc:
        if remote is not None and _broker_unavailable(exc):
            log.warning("submission %s goes back to the queue: %s", submission_id, exc.message)
            mine.update(status=Submission.QUEUED, claim="", progress_done=0, progress_test="")
            time.sleep(BROKER_RETRY_S)
            return
        log.warning("submission %s could not be graded: %s", submission_id, exc)
        mine.update(status=Submission.ERROR, error=f"the grader could not run this submission: {exc.message}",
                    finished_at=timezone.now(), claim="", gradings=F("gradings") + 1)
        return
    except Exception as exc:  # the grader's own bug: the attempt says so, and the worker goes on
        log.exception("grading submission %s failed", submission_id)
        mine.update(status=Submission.ERROR, error=f"the grader failed on this submission ({exc.__class__.__name__}); "
                    "this is not your program's fault, and a TA can regrade it",
                    finished_at=timezone.now(), claim="", gradings=F("gradings") + 1)
        return
    result.submission_hash = sub.content_hash
    failed = result.error is not None
    try:
        mine.update(
            status=Submission.ERROR if failed else Submission.DONE,
            result_json=result_payload(result), score=result.score, max_score=result.max_score,
            final_score=None if failed else score_after_penalty(result.score, sub.penalty_percent),
            error=result.error or "", finished_at=timezone.now(), claim="", progress_done=len(spec.tests),
            progress_total=len(spec.tests), progress_test="", gradings=F("gradings") + 1,
        )
    except (DatabaseError, OSError):   # a full disk: the row says so in a few bytes (else recover() requeues it)
        log.exception("the result of submission %s could not be stored", submission_id)
        mine.update(status=Submission.ERROR, error=gettext_noop(
            "the grader could not store the result of this submission (the server's disk may be full); "
            "this is not your program's fault, and a TA can regrade it"), result_json="", score=None,
            max_score=None, final_score=None, finished_at=timezone.now(), claim="", progress_test="")
