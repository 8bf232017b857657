"""A full disk, for real: the site's files and its SQLite database each on a small tmpfs that is filled up.

An upload the server cannot store is refused with a plain sentence (English or Korean) and leaves nothing:
no submission row without its files, no files without a row, no half-written upload. A result the worker
cannot store turns the attempt into an error that says so (a TA can regrade it), never a row left running.
Django is configured once per process, so each scenario runs in its own Python process
(`python tests/site/test_site_disk_full.py SCENARIO FILES_MOUNT DB_MOUNT`); the mounts are made and removed
here, around it.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

FULL_EN = "The server's disk is full, so your submission was not saved (nothing of it was kept)."
FULL_KO = "서버 디스크가 가득 차서 제출이 저장되지 않았습니다 (아무것도 남지 않았습니다)."
BROKEN_EN = "The server could not store your submission (a storage error), so nothing of it was kept."
BROKEN_KO = "서버가 저장 오류로 제출을 저장하지 못해 아무것도 남기지 않았습니다."
STORE_EN = ("the grader could not store the result of this submission (the server's disk may be full); "
            "this is not your program's fault, and a TA can regrade it")
STORE_KO = "채점기가 이 제출의 결과를 저장하지 못했습니다 (서버 디스크가 가득 찼을 수 있습니다)."


# ------------------------------------------------------------------ the tests (parent process)


@pytest.fixture()
def mounts(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Two fresh tmpfs: one for the course folder (uploads), one for the database."""
    files, database = tmp_path / "files", tmp_path / "db"
    mounted: list[Path] = []
    try:
        for mount, size in ((files, "16m"), (database, "8m")):
            mount.mkdir()
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount)], check=True)
            mounted.append(mount)
        yield files, database
    finally:
        for mount in reversed(mounted):
            if subprocess.run(["umount", str(mount)], check=False).returncode != 0:
                subprocess.run(["umount", "-l", str(mount)], check=True)   # still busy: detach it anyway


def _run(scenario: str, mounts: tuple[Path, Path]) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(HERE), str(HERE.parent)])}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), scenario, *map(str, mounts)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{scenario} failed:\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}"
    assert f"{scenario}: ok" in done.stdout


def test_an_upload_to_a_full_disk_is_refused_in_both_languages_and_leaves_nothing(mounts: tuple[Path, Path]) -> None:
    _run("uploads_full", mounts)


def test_an_upload_to_a_read_only_disk_is_a_clear_error_and_leaves_nothing(mounts: tuple[Path, Path]) -> None:
    _run("uploads_read_only", mounts)


def test_an_upload_when_the_database_disk_is_full_leaves_no_files_without_a_row(mounts: tuple[Path, Path]) -> None:
    _run("database_full_at_upload", mounts)


@pytest.mark.engine   # the attempt is graded for real in the Docker sandbox, twice
def test_a_result_that_cannot_be_stored_is_an_error_a_ta_can_regrade(mounts: tuple[Path, Path]) -> None:
    _run("database_full_at_result", mounts)


# ------------------------------------------------------------------ the scenarios (child process)


def _fill(mount: Path, *, leave: int = 0) -> None:
    """Fill `mount` until writes fail with ENOSPC, then free `leave` bytes (whole pages) again."""
    slack = mount / "slack"
    if leave:
        slack.write_bytes(b"\0" * leave)
    fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (b"\0" * 2**16, b"\0" * 4096, b"\0"):
            while True:
                try:
                    os.write(fd, chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    finally:
        os.close(fd)
    slack.unlink(missing_ok=True)
    probe = os.statvfs(mount)
    assert probe.f_bavail * probe.f_frsize <= leave + 4096, "the disk did not fill up"


def _free(mount: Path) -> None:
    (mount / "filler").unlink()


def _start(files: Path, database: Path) -> Any:
    """The site on a course in `files` with its database in `database`; returns (started, en client, ko client)."""
    from site_helpers import client_for, copy_assignment, make_student

    from grader.site import start

    course = files / "course"
    course.mkdir()
    copy_assignment(course / "fork-hello", "fork-hello")
    (course / "course.yaml").write_text("""\
title: Disk course
languages: [en, ko]
staff:
  - {username: ta1, role: ta, name: Park TA}
rate_limit: {submissions: 20, minutes: 10}
max_pending: 5
live_steps: false
assignments:
  - path: fork-hello
""", encoding="utf-8")
    started = start(course, db_url=f"sqlite://{database}/db.sqlite3")
    english, korean = client_for(make_student("eun")), client_for(make_student("kim"))
    assert korean.post("/language/", {"lang": "ko", "next": "/"}).status_code == 302
    return started, english, korean


def _submit(client: Any, name: str, data: bytes) -> Any:
    from site_helpers import upload

    return client.post("/a/fork-hello/submit/", {"files": [upload(name, data)]})


def _alert(response: Any) -> str:
    import html
    import re

    found = re.search(r'role="alert" id="refused">(.*?)</p>', response.content.decode(), re.S)
    assert found is not None, response.content.decode()[:3000]
    return html.unescape(found.group(1))


def _checkpoint() -> None:
    """Empty SQLite's write-ahead log, as the last connection's close does (a restarted server starts so):
    from here every write needs new blocks on the database's disk."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _log, _done = cursor.fetchone()
        assert busy == 0


def _nothing_kept(started: Any, rows_before: int) -> None:
    from grader.site.portal.models import Submission

    uploads = started.runtime.site_dir / "uploads"
    assert Submission.objects.count() == rows_before
    kept = {p.name for p in uploads.iterdir()}
    assert kept == {str(s.id) for s in Submission.objects.all()}, kept      # no half-written upload, no orphan
    for sub in Submission.objects.all():
        assert sorted(p.name for p in (uploads / str(sub.id) / "files").iterdir()) == sub.files


HELLO = (HERE / "data" / "fork-hello" / "solution" / "hello.py").read_bytes()


def uploads_full(files: Path, database: Path) -> None:
    started, english, korean = _start(files, database)
    _fill(files)
    big = b"#" * (3 * 2**20) + b"\n" + HELLO      # over 2 MiB: Django spools it to a file in the uploads folder
    for client, sentence in ((english, FULL_EN), (korean, FULL_KO)):
        for data in (HELLO, big):
            response = _submit(client, "hello.py", data)
            assert response.status_code == 507, response.status_code
            assert _alert(response).startswith(sentence), _alert(response)
    _nothing_kept(started, 0)
    _free(files)
    assert _submit(korean, "hello.py", HELLO).status_code == 302       # room again: it is taken
    _nothing_kept(started, 1)


def uploads_read_only(files: Path, database: Path) -> None:
    started, english, korean = _start(files, database)
    subprocess.run(["mount", "-o", "remount,ro", str(files)], check=True)
    try:
        for client, sentence in ((english, BROKEN_EN), (korean, BROKEN_KO)):
            response = _submit(client, "hello.py", HELLO)
            assert response.status_code == 500, response.status_code
            assert _alert(response).startswith(sentence), _alert(response)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(files)], check=True)
    _nothing_kept(started, 0)


def database_full_at_upload(files: Path, database: Path) -> None:
    started, english, korean = _start(files, database)
    _checkpoint()
    _fill(database)
    for client, sentence in ((english, FULL_EN), (korean, FULL_KO)):
        response = _submit(client, "hello.py", HELLO)      # the files fit; the new row does not
        assert response.status_code == 507, response.status_code
        assert _alert(response).startswith(sentence), _alert(response)
    _nothing_kept(started, 0)
    _free(database)
    assert _submit(english, "hello.py", HELLO).status_code == 302
    _nothing_kept(started, 1)


def database_full_at_result(files: Path, database: Path) -> None:
    started, english, korean = _start(files, database)
    from django.contrib.auth import get_user_model
    from site_helpers import PASSWORD, client_for

    from grader.sandbox.select import make_sandbox
    from grader.site.portal.models import Submission
    from grader.site.worker import grade_submission

    runtime = started.runtime
    assert _submit(korean, "hello.py", HELLO).status_code == 302
    ta = get_user_model().objects.get(username="ta1")
    ta.set_password(PASSWORD)
    ta.save()
    staff = client_for(ta)

    def grade(claimed: tuple[int, str] | None) -> Any:
        assert claimed is not None
        grade_submission(*claimed, course=runtime.course, site_dir=runtime.site_dir,
                         make_sandbox=lambda choice: make_sandbox("docker"))
        return Submission.objects.get(id=claimed[0])

    claimed = runtime.queue.claim()      # running, as a worker holds it
    _checkpoint()
    _fill(database, leave=16 * 1024)      # room for a few bytes of status, not for a whole result
    sub = grade(claimed)
    assert (sub.status, sub.error, sub.result_json, sub.claim, sub.score) == ("error", STORE_EN, "", "", None), (
        sub.status, sub.error, len(sub.result_json))
    assert STORE_KO in korean.get(f"/s/{sub.id}/status/").content.decode()
    assert STORE_EN in staff.get(f"/s/{sub.id}/status/").content.decode().replace("&#x27;", "'")
    _free(database)
    assert staff.post(f"/s/{sub.id}/regrade/").status_code == 302
    assert Submission.objects.get(id=sub.id).status == "queued"
    again = grade(runtime.queue.claim())
    assert (again.status, again.score, again.max_score, again.error) == ("done", 4.0, 4.0, ""), again.error
    assert len(again.result_json) > 16 * 1024, len(again.result_json)   # the result really did not fit before


if __name__ == "__main__":
    scenario, files_mount, db_mount = sys.argv[1:4]
    {"uploads_full": uploads_full, "uploads_read_only": uploads_read_only,
     "database_full_at_upload": database_full_at_upload,
     "database_full_at_result": database_full_at_result}[scenario](Path(files_mount), Path(db_mount))
    print(f"{scenario}: ok")
