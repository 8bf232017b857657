"""The site's tables: a course member (role, language), one-time invites, and submissions (also the queue)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models

__all__ = ["Invite", "Member", "Submission"]


class Member(models.Model):
    """A user's place in the course."""

    STUDENT, TA, INSTRUCTOR = "student", "ta", "instructor"
    ROLES = ((STUDENT, "student"), (TA, "TA"), (INSTRUCTOR, "instructor"))

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member")
    role = models.CharField(max_length=16, choices=ROLES, default=STUDENT)
    display_name = models.CharField(max_length=200, blank=True)
    roster_id = models.CharField(max_length=200, blank=True)   # the roster's id column, for the gradebook
    lang = models.CharField(max_length=8, default="en")

    @property
    def is_staff_member(self) -> bool:
        return self.role in (self.TA, self.INSTRUCTOR)

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.role})"


def token_digest(token: str) -> str:
    """Invites are stored by their SHA-256: a copy of the database holds no usable link."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Invite(models.Model):
    """A one-time link that lets its user choose a password."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)


class Submission(models.Model):
    """One attempt of one student at one assignment; its status column is the embedded queue."""

    QUEUED, RUNNING, DONE, ERROR = "queued", "running", "done", "error"
    STATUSES = ((QUEUED, "queued"), (RUNNING, "running"), (DONE, "done"), (ERROR, "error"))

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    assignment = models.CharField(max_length=100, db_index=True)
    number = models.PositiveIntegerField()                       # 1, 2, ... per (user, assignment)
    created_at = models.DateTimeField(db_index=True)
    files = models.JSONField(default=list)                       # relative paths, as intake took them
    content_hash = models.CharField(max_length=64, blank=True)
    late = models.BooleanField(default=False)
    days_late = models.PositiveIntegerField(default=0)
    penalty_percent = models.FloatField(default=0.0)

    status = models.CharField(max_length=16, choices=STATUSES, default=QUEUED, db_index=True)
    claim = models.CharField(max_length=64, blank=True)          # the worker's token while running
    claimed_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)       # tests finished
    progress_total = models.PositiveIntegerField(default=0)
    progress_test = models.CharField(max_length=300, blank=True)  # the test running now
    finished_at = models.DateTimeField(null=True, blank=True)
    gradings = models.PositiveIntegerField(default=0)            # results stored (1 unless regraded)
    starts = models.PositiveIntegerField(default=0)              # times a worker claimed it

    score = models.FloatField(null=True, blank=True)             # the grader's score, before any late penalty
    max_score = models.FloatField(null=True, blank=True)
    final_score = models.FloatField(null=True, blank=True)       # after the late penalty: what counts
    result_json = models.TextField(blank=True)
    error = models.TextField(blank=True)                         # why grading failed (shown plainly)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["user", "assignment", "number"], name="one_number_each"),)
        indexes = (models.Index(fields=["status", "id"]),)
        ordering = ("id",)

    @property
    def finished(self) -> bool:
        return self.status in (self.DONE, self.ERROR)

    def result(self) -> Any:
        from grader.result import Result

        return Result.from_json(json.loads(self.result_json)) if self.result_json else None
