"""Helpers of the site's tests (imported by conftest and the tests; pytest puts this folder on sys.path)."""

from __future__ import annotations

import io
import shutil
import zipfile
from itertools import count
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
HELLO = DATA / "fork-hello" / "solution" / "hello.py"
FAULTY = DATA / "fork-hello" / "faulty" / "double_fork.py"
PASSWORD = "correct horse battery staple"
_names = count(1)


def copy_assignment(target: Path, new_id: str) -> None:
    shutil.copytree(DATA / "fork-hello", target)
    spec = target / "assignment.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("id: fork-hello", f"id: {new_id}", 1), encoding="utf-8")


def make_student(name: str | None = None) -> Any:
    from grader.site.accounts import make_user

    user, _ = make_user(name or f"student{next(_names)}", "student", name=name or "", password=PASSWORD)
    return user


def client_for(user: Any, **kwargs: Any) -> Any:
    from django.test import Client

    client = Client(**kwargs)
    client.force_login(user)
    return client


def upload(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def finish_like(sub: Any, source: Any) -> Any:
    """Store a real result (graded once above) on another queued attempt, as a worker would."""
    from grader.site.portal.models import Submission
    from grader.site.rules import score_after_penalty

    Submission.objects.filter(id=sub.id).update(
        status=Submission.DONE, result_json=source.result_json, score=source.score, max_score=source.max_score,
        final_score=score_after_penalty(source.score, sub.penalty_percent), gradings=1)
    return Submission.objects.get(id=sub.id)
