"""Helpers of the site's tests (imported by conftest and the tests; pytest puts this folder on sys.path)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import zipfile
from itertools import count
from pathlib import Path
from typing import Any

from services import listening

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parents[2]
# The restart tests' assignment and program: slow enough that every submission is in before the first ends.
SLOW_HELLO = """\
id: slow-hello
title: Slow hello
language: python
files: [hello.py]
run: [python3, hello.py]
limits: {timeout: 20s}
repeat: 1
tests:
  - name: prints hello once
    points: 1
    checks:
      - output.count: {pattern: '^hello$', equals: 1}
"""
SLOW_PROGRAM = b"import time\ntime.sleep(3)\nprint('hello', flush=True)\n"
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


def start_serve(course: Path, port: int, log: Path, *options: str) -> tuple[subprocess.Popen[bytes], str]:
    """A real `grader serve COURSE --port PORT --workers 2 OPTIONS...` appending to `log`, once it serves
    (a restart's log holds the first start too: it waits for one more "serving http" than before)."""
    before = log.read_text(encoding="utf-8", errors="replace").count("serving http") if log.exists() else 0
    out = log.open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "serve", str(course), "--port", str(port),
                             "--workers", "2", *options], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        # "serving" is printed once the port is bound (the port check keeps the wait honest all the same)
        if text.count("serving http") > before and listening(port):
            return proc, text
        assert proc.poll() is None, f"grader serve exited:\n{text}"
        time.sleep(0.2)
    raise AssertionError(f"grader serve did not start:\n{log.read_text()}")

