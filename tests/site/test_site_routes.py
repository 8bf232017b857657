"""Every route and rule of `grader serve`, over HTTP with Django's test client.

Results come from two real gradings (conftest's `graded`); other attempts are only queued, or are given one
of those results as a worker would store it, where grading itself is not what a test is about.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from site_helpers import FAULTY, HELLO, PASSWORD, client_for, finish_like, make_student, upload, zip_of

pytestmark = pytest.mark.engine   # the session's two results are real gradings in the Docker sandbox

HELLO_BYTES = HELLO.read_bytes()


def _submit(client: Any, files: list[Any], assignment: str = "fork-hello") -> Any:
    return client.post(f"/a/{assignment}/submit/", {"files": files})


def _subs(user: Any) -> list[Any]:
    from grader.site.portal.models import Submission

    return list(Submission.objects.filter(user=user).order_by("number"))


def _leftovers(site: Any) -> list[str]:
    return sorted(p.name for p in (site.runtime.site_dir / "uploads").iterdir() if p.name.startswith("."))


# ------------------------------------------------------------------ accounts and sessions


def test_login_with_the_right_password_and_not_with_a_wrong_one(site: Any, student: Any) -> None:
    from django.test import Client

    client = Client()
    assert client.get("/login/").status_code == 200
    wrong = client.post("/login/", {"username": student.username, "password": "nope"})
    assert wrong.status_code == 401 and b"do not match" in wrong.content
    right = client.post("/login/", {"username": student.username, "password": PASSWORD, "next": "/a/fork-hello/"})
    assert right.status_code == 302 and right["Location"] == "/a/fork-hello/"
    offsite = Client().post("/login/", {"username": student.username, "password": PASSWORD,
                                        "next": "//evil.example/"})
    assert offsite["Location"] == "/"


def test_logout_is_a_post_and_ends_the_session(site: Any, student: Any) -> None:
    client = client_for(student)
    assert client.get("/").status_code == 200
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/")["Location"] == "/login/?next=/"


@pytest.mark.parametrize("path", ["/", "/a/fork-hello/", "/s/1/", "/s/1/feedback/", "/s/1/files.zip",
                                  "/staff/a/fork-hello/", "/staff/a/fork-hello/gradebook/canvas.csv"])
def test_a_logged_out_visitor_is_sent_to_the_login_page(site: Any, path: str) -> None:
    from django.test import Client

    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_a_logged_out_status_poll_tells_htmx_to_go_to_the_login_page(site: Any) -> None:
    from django.test import Client

    response = Client().get("/s/1/status/", HTTP_HX_REQUEST="true")
    assert response.status_code == 401 and response["HX-Redirect"] == "/login/"


def test_a_post_without_the_csrf_token_is_refused_and_nothing_is_kept(site: Any, student: Any) -> None:
    client = client_for(student, enforce_csrf_checks=True)
    response = _submit(client, [upload("hello.py", HELLO_BYTES)])
    assert response.status_code == 403
    assert b"without a valid security token" in response.content
    assert _subs(student) == []


def test_an_invite_link_sets_the_password_once(site: Any) -> None:
    from django.contrib.auth import authenticate
    from django.test import Client

    from grader.site.accounts import make_invite, make_user

    user, _ = make_user("invited1", "student")
    link = make_invite(user)
    client = Client()
    assert client.get(link).status_code == 200
    differ = client.post(link, {"password": "a long password", "password2": "another one"})
    assert differ.status_code == 400 and b"differ" in differ.content
    done = client.post(link, {"password": "a long password 1", "password2": "a long password 1"})
    assert done.status_code == 302 and client.get("/").status_code == 200
    assert authenticate(username="invited1", password="a long password 1") is not None
    again = Client().get(link)
    assert again.status_code == 404 and b"already used" in again.content


def test_a_roster_csv_makes_one_student_account_each_with_an_invite(site: Any, tmp_path: Path) -> None:
    from grader.site.accounts import import_roster
    from grader.site.portal.models import Member

    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                      "    Points Possible,,,,\n"
                      "\"Choi, Yuna\",101,2024101,choiy,A\n"
                      "김민준,102,2024102,kimmj,A\n", encoding="utf-8-sig")
    made = import_roster(roster)
    assert [(a.username, a.name) for a in made] == [("choiy", "Choi, Yuna"), ("kimmj", "김민준")]
    assert all(a.invite.startswith("/invite/") for a in made)
    member = Member.objects.get(user__username="kimmj")
    assert (member.role, member.roster_id) == ("student", "2024102")
    assert import_roster(roster) == []   # a second import makes nobody twice


# ------------------------------------------------------------------ submitting


def test_a_lone_file_is_queued_with_its_position_and_the_required_files_are_listed(site: Any, student: Any) -> None:
    client = client_for(student)
    page = client.get("/a/fork-hello/")
    assert b'<dd id="required"><code>hello.py</code></dd>' in page.content
    response = _submit(client, [upload("hello.py", HELLO_BYTES)])
    assert response.status_code == 302
    (sub,) = _subs(student)
    assert response["Location"] == f"/s/{sub.id}/"
    assert (sub.status, sub.number, sub.files) == ("queued", 1, ["hello.py"])
    status = client.get(f"/s/{sub.id}/status/")
    assert b"Queued" in status.content and b"position" in status.content
    assert f'hx-get="/s/{sub.id}/status/"'.encode() in status.content          # polls until done
    from grader.site.worker import submission_folder

    assert (submission_folder(site.runtime.site_dir, sub.id) / "hello.py").read_bytes() == HELLO_BYTES
    assert _leftovers(site) == []


def test_an_archive_is_unpacked_through_the_batch_intake(site: Any, student: Any) -> None:
    client = client_for(student)
    data = zip_of({"mywork/hello.py": HELLO_BYTES, "mywork/__MACOSX/._hello.py": b"junk"})
    assert _submit(client, [upload("mywork.zip", data)]).status_code == 302
    assert _subs(student)[0].files == ["hello.py"]


@pytest.mark.parametrize(("files", "reason"), [
    ({"../evil.py": b"x", "hello.py": b"print(1)"}, b"leaves its folder"),
    ({"/etc/hello.py": b"x"}, b"absolute path"),
])
def test_an_unsafe_archive_is_refused_with_a_plain_reason_and_nothing_kept(site: Any, student: Any,
                                                                           files: dict[str, bytes],
                                                                           reason: bytes) -> None:
    response = _submit(client_for(student), [upload("work.zip", zip_of(files))])
    assert response.status_code == 400
    assert reason in response.content and b'id="refused"' in response.content
    assert _subs(student) == [] and _leftovers(site) == []


def test_an_upload_over_the_size_cap_is_refused(site: Any, student: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import grader.site.submit as submit
    from grader.submission import IntakeLimits

    monkeypatch.setattr(submit, "INTAKE_LIMITS", IntakeLimits(max_total_bytes=64 * 1024))
    response = _submit(client_for(student), [upload("hello.py", b"#" * (80 * 1024))])
    assert response.status_code == 400 and b"The upload is 80 KiB; the limit is 64 KiB." in response.content
    bomb = zip_of({"hello.py": b" " * (3 * 1024 * 1024)})
    refused = _submit(client_for(student), [upload("bomb.zip", bomb)])
    assert refused.status_code == 400 and b"refused" in refused.content
    assert _subs(student) == [] and _leftovers(site) == []


def test_a_declared_body_over_the_cap_is_refused_before_it_is_read(site: Any, student: Any) -> None:
    response = client_for(student).post("/a/fork-hello/submit/", data=b"", content_type="multipart/form-data",
                                        CONTENT_LENGTH=str(200 * 2**20))
    assert response.status_code == 413 and b"The upload is 200 MiB; the limit is 50 MiB." in response.content


def test_a_binary_file_is_refused_as_not_a_text_file(site: Any, student: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    response = _submit(client_for(student), [upload("hello.py", png)])
    assert response.status_code == 400 and b"hello.py is not a text file" in response.content
    assert _subs(student) == []


def test_a_missing_required_file_is_named(site: Any, student: Any) -> None:
    response = _submit(client_for(student), [upload("hallo.py", HELLO_BYTES)])
    assert response.status_code == 400
    assert b"This assignment needs hello.py; your upload has hallo.py." in response.content


def test_a_second_attempt_while_one_is_queued_waits_behind_it_up_to_the_cap(site: Any, student: Any) -> None:
    client = client_for(student)
    assert _submit(client, [upload("hello.py", HELLO_BYTES)]).status_code == 302
    assert _submit(client, [upload("hello.py", HELLO_BYTES)]).status_code == 302
    first, second = _subs(student)
    queue = site.runtime.queue
    assert queue.position(second.id) == queue.position(first.id) + 1
    third = _submit(client, [upload("hello.py", HELLO_BYTES)])
    assert third.status_code == 400 and b"You already have 2 attempts waiting" in third.content
    page = client.get("/a/fork-hello/")
    assert b"queued behind it (at most 2 waiting at once)" in page.content
    assert len(_subs(student)) == 2


def test_the_rate_limit_says_when_the_next_attempt_is_possible(site: Any, student: Any, graded: dict[str, Any]) -> None:
    client = client_for(student)
    for _ in range(4):
        assert _submit(client, [upload("hello.py", HELLO_BYTES)]).status_code == 302
        finish_like(_subs(student)[-1], graded["good"])   # graded, so the pending cap is not what stops it
    fifth = _submit(client, [upload("hello.py", HELLO_BYTES)])
    assert fifth.status_code == 400
    assert b"You may submit 4 times in 10 minutes; the next attempt is possible at" in fifth.content


def test_a_full_disk_is_a_clear_error_and_nothing_is_half_written(site: Any, student: Any, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    mount = tmp_path / "small"
    (mount).mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    try:
        (mount / "uploads").mkdir()
        with (mount / "filler").open("wb") as fh:   # leave about 8 KiB free
            try:
                fh.write(b"\0" * (256 * 1024 - 8 * 1024))
            except OSError:
                pass
        monkeypatch.setattr(site.runtime, "site_dir", mount)
        big = b"# " + b"x" * (64 * 1024) + b"\nprint('hello os')\n"
        response = _submit(client_for(student), [upload("hello.py", big)])
        assert response.status_code == 507
        assert b"The server&#x27;s disk is full, so your submission was not saved" in response.content
        assert _subs(student) == []
        assert os.listdir(mount / "uploads") == []
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_submissions_are_closed_after_the_last_late_moment(site: Any, student: Any) -> None:
    client = client_for(student)
    assert b"Submissions for this assignment are closed." in client.get("/a/closed-hello/").content
    response = _submit(client, [upload("hello.py", HELLO_BYTES)], "closed-hello")
    assert response.status_code == 400 and b"Submissions for this assignment closed at" in response.content


def test_a_late_attempt_is_marked_and_its_score_loses_the_penalty(site: Any, student: Any,
                                                                  graded: dict[str, Any]) -> None:
    client = client_for(student)
    assert b"late by 2 days" in client.get("/a/late-hello/").content
    assert _submit(client, [upload("hello.py", HELLO_BYTES)], "late-hello").status_code == 302
    (sub,) = _subs(student)
    assert (sub.late, sub.days_late, sub.penalty_percent) == (True, 2, 20.0)
    done = finish_like(sub, graded["good"])
    assert done.final_score == 3.2
    status = client.get(f"/s/{sub.id}/status/").content
    assert b"3.2 / 4" in status and b"4 before the late penalty of 20%" in status


# ------------------------------------------------------------------ results


def test_the_owner_sees_the_feedback_page_under_a_csp_that_runs_no_script(site: Any,
                                                                          graded: dict[str, Any]) -> None:
    client = client_for(graded["user"])
    good = graded["good"]
    status = client.get(f"/s/{good.id}/status/")
    assert b"Done" in status.content and b"hx-get" not in status.content      # polling stops
    assert f'src="/s/{good.id}/feedback/"'.encode() in status.content
    page = client.get(f"/s/{good.id}/feedback/")
    assert page.status_code == 200
    csp = page["Content-Security-Policy"]
    assert "script-src 'none'" in csp and "default-src 'none'" in csp
    assert b"<script" not in page.content
    assert b'<svg class="tree"' in page.content                                # the process tree
    assert b"Fork into three processes" in page.content


def test_hidden_tests_stay_hidden_from_the_student_and_not_from_staff(site: Any, graded: dict[str, Any],
                                                                      ta: Any) -> None:
    bad = graded["bad"]
    student_page = client_for(graded["user"]).get(f"/s/{bad.id}/feedback/").content.decode()
    staff_page = client_for(ta).get(f"/s/{bad.id}/feedback/").content.decode()
    # Test 3 ("on a terminal too") is hidden: before the deadline a student sees its name and score only.
    student_test = student_page.split('id="test-3"')[1]
    staff_test = staff_page.split('id="test-3"')[1]
    assert 'data-status="hidden"' in student_test[:200]
    assert "This is a hidden test: only its name and score are shown." in student_test
    assert 'data-status="hidden"' not in staff_test[:200]
    assert "This is a hidden test" not in staff_test and "process.count" in staff_test


def test_the_feedback_page_speaks_the_students_language(site: Any, graded: dict[str, Any]) -> None:
    client = client_for(graded["user"])
    assert client.post("/language/", {"lang": "ko", "next": "/"}).status_code == 302
    try:
        page = client.get(f"/s/{graded['good'].id}/feedback/").content.decode()
        assert "fork로 프로세스 세 개 만들기" in page and 'lang="ko"' in page
    finally:
        client.post("/language/", {"lang": "en"})


def test_the_history_lists_both_attempts_with_scores_and_marks_the_one_that_counts(site: Any,
                                                                                     graded: dict[str, Any]) -> None:
    page = client_for(graded["user"]).get("/a/fork-hello/").content.decode()
    rows = page.split('id="attempts"')[1]
    assert 'data-number="2" data-status="done"' in rows and 'data-number="1" data-status="done"' in rows
    counted = rows.split('class="counted"')[0].rsplit("<tr", 1)[1]
    assert 'data-number="1"' in counted            # best counts: the reference's 4 beats the faulty's score
    assert "4 / 4" in rows and f"{graded['bad'].score:g} / 4" in rows


def test_another_students_result_is_404_never_403(site: Any, graded: dict[str, Any], student: Any) -> None:
    client = client_for(student)
    good = graded["good"]
    for path in (f"/s/{good.id}/", f"/s/{good.id}/status/", f"/s/{good.id}/feedback/", f"/s/{good.id}/files.zip"):
        assert client.get(path).status_code == 404, path
    assert client.get("/s/999999/").status_code == 404


def test_a_student_sees_no_staff_page(site: Any, student: Any, graded: dict[str, Any]) -> None:
    client = client_for(student)
    for path in ("/staff/a/fork-hello/", "/staff/a/fork-hello/live/", "/staff/a/fork-hello/summary/",
                 "/staff/a/fork-hello/gradebook/canvas.csv", "/staff/a/fork-hello/u/kim/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/s/{graded['good'].id}/regrade/").status_code == 404
    assert client.post("/staff/a/fork-hello/regrade/").status_code == 404


def test_the_owner_and_staff_can_download_the_submitted_files(site: Any, graded: dict[str, Any], ta: Any) -> None:
    import io
    import zipfile

    for user in (graded["user"], ta):
        response = client_for(user).get(f"/s/{graded['bad'].id}/files.zip")
        assert response.status_code == 200
        with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
            assert archive.read("kim-fork-hello-2/hello.py") == FAULTY.read_bytes()


# ------------------------------------------------------------------ staff


def test_the_dashboard_shows_each_student_and_updates_only_on_change(site: Any, graded: dict[str, Any],
                                                                     ta: Any) -> None:
    client = client_for(ta)
    page = client.get("/staff/a/fork-hello/").content.decode()
    kim_row = page.split('data-student="kim"')[1].split("</tr>")[0]
    assert "4 / 4 (#1)" in kim_row and ">2<" in kim_row
    version = page.split("live/?v=")[1].split('"')[0]
    from urllib.parse import unquote

    assert client.get(f"/staff/a/fork-hello/live/?v={unquote(version)}").status_code == 204
    assert client.get("/staff/a/fork-hello/live/?v=old").status_code == 200


def test_the_class_summary_is_batchs_index_under_the_no_script_csp(site: Any, graded: dict[str, Any],
                                                                   ta: Any) -> None:
    page = client_for(ta).get("/staff/a/fork-hello/summary/")
    assert page.status_code == 200 and "script-src 'none'" in page["Content-Security-Policy"]
    assert b"<script" not in page.content and b"/staff/a/fork-hello/u/kim/" in page.content


@pytest.mark.parametrize("kind", ["canvas", "moodle", "blackboard", "csv"])
def test_the_gradebook_downloads_in_each_lms_format(site: Any, graded: dict[str, Any], ta: Any, kind: str) -> None:
    response = client_for(ta).get(f"/staff/a/fork-hello/gradebook/{kind}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    if kind == "canvas":
        assert "Student,ID,SIS User ID,SIS Login ID,Section,Fork into three processes" in text
        assert "Points Possible" in text
    if kind == "blackboard":
        assert "Username,Fork into three processes [Total Pts: 4 Score]" in text and "kim,4" in text
    if kind == "csv":
        assert any(line.startswith("kim,") and ",graded,4,4," in line for line in text.splitlines())


def test_an_unknown_gradebook_kind_is_404(site: Any, ta: Any) -> None:
    assert client_for(ta).get("/staff/a/fork-hello/gradebook/excel.csv").status_code == 404
    assert client_for(ta).get("/staff/a/no-such/").status_code == 404


def test_staff_see_any_students_history_and_can_regrade_one_or_all(site: Any, graded: dict[str, Any],
                                                                    ta: Any) -> None:
    from grader.site.portal.models import Submission

    client = client_for(ta)
    history = client.get("/staff/a/fork-hello/u/kim/").content.decode()
    assert 'data-number="1"' in history and 'data-number="2"' in history
    other = make_student()
    sub = finish_like(_queued(site, other), graded["bad"])
    assert client.post(f"/s/{sub.id}/regrade/").status_code == 302
    assert Submission.objects.get(id=sub.id).status == "queued"
    finish_like(sub, graded["bad"])
    assert client.post("/staff/a/late-hello/regrade/").status_code == 302
    assert Submission.objects.get(id=sub.id).status == "queued"
    Submission.objects.filter(id=sub.id).delete()


def _queued(site: Any, user: Any, assignment: str = "late-hello") -> Any:
    from grader.site.submit import Upload, accept

    with HELLO.open("rb") as fh:
        return accept(site.runtime.course, site.runtime.site_dir, user, assignment,
                      [Upload("hello.py", fh, len(HELLO_BYTES))], queue=site.runtime.queue)


# ------------------------------------------------------------------ the queue


def test_a_claim_is_exclusive_and_a_stale_claim_stores_nothing(site: Any, student: Any) -> None:
    from grader.site.portal.models import Submission

    queue = site.runtime.queue
    Submission.objects.filter(status__in=["queued", "running"]).update(status="error")   # a clean queue
    sub = _queued(site, student)
    first = queue.claim()
    assert first is not None and first[0] == sub.id and queue.claim() is None
    assert queue.recover() == 1                                   # the server died: back in the queue
    second = queue.claim()
    assert second is not None and second[0] == sub.id and second[1] != first[1]
    stale = Submission.objects.filter(id=sub.id, claim=first[1], status="running").update(status="done")
    assert stale == 0                                             # the dead worker's token writes nothing
    assert Submission.objects.get(id=sub.id).starts == 2


def test_the_migrations_match_the_models(site: Any) -> None:
    from django.core.management import call_command

    call_command("makemigrations", "portal", "--check", "--dry-run", verbosity=0)   # exits 1 on a missing one


def test_a_korean_student_reads_the_site_and_its_refusals_in_korean(site: Any, student: Any) -> None:
    client = client_for(student)
    client.post("/language/", {"lang": "ko", "next": "/"})
    page = client.get("/a/fork-hello/").content.decode()
    assert "제출할 파일" in page and 'lang="ko"' in page and "Required files" not in page
    refused = _submit(client, [upload("hallo.py", HELLO_BYTES)]).content.decode()
    assert "이 과제에는 hello.py이(가) 필요합니다. 올린 파일: hallo.py." in refused
    assert _submit(client, [upload("hello.py", HELLO_BYTES)]).status_code == 302
    status = client.get(f"/s/{_subs(student)[0].id}/status/").content.decode()
    assert "<strong>대기 중</strong>: 대기열 " in status and "번째" in status and "Queued" not in status


def test_a_grader_bug_ends_the_attempt_with_a_plain_error_and_the_worker_goes_on(site: Any, student: Any) -> None:
    from grader.site.portal.models import Submission
    from grader.site.worker import grade_submission

    sub = _queued(site, student)
    Submission.objects.filter(id=sub.id).update(status="running", claim="t-bug")

    def broken(choice: str) -> Any:
        raise KeyError("no such backend")   # the kind of bug a sandbox factory could have

    grade_submission(sub.id, "t-bug", course=site.runtime.course, site_dir=site.runtime.site_dir,
                     make_sandbox=broken)
    done = Submission.objects.get(id=sub.id)
    assert (done.status, done.gradings, done.final_score) == ("error", 1, None)
    assert done.error == ("the grader failed on this submission (KeyError); this is not your program's fault, "
                          "and a TA can regrade it")
    page = client_for(student).get(f"/s/{sub.id}/status/").content.decode()
    assert "This attempt could not be graded" in page and "a TA can regrade it" in page


def test_staff_make_a_new_invite_link_that_works_once(site: Any, ta: Any) -> None:
    from django.test import Client

    lost = make_student()
    page = client_for(ta).post(f"/staff/invite/{lost.username}/").content.decode()
    link = page.split("stop working: ")[1].split("<")[0].strip()
    assert link.startswith("http://testserver/invite/")
    path = link.removeprefix("http://testserver")
    client = Client()
    assert client.post(path, {"password": "brand new pass 9", "password2": "brand new pass 9"}).status_code == 302
    assert Client().get(path).status_code == 404
    assert client_for(make_student()).post(f"/staff/invite/{ta.username}/").status_code == 404   # students cannot


def test_a_test_shown_after_the_due_date_is_hidden_before_it_and_shown_after(site: Any, student: Any,
                                                                               graded: dict[str, Any]) -> None:
    import json

    from django.utils import timezone

    from grader.site.portal.models import Submission

    data = json.loads(graded["bad"].result_json)
    assert data["tests"][2]["name"] == "on a terminal too"
    data["tests"][2]["visibility"] = "after_due_date"
    pages = {}
    for assignment in ("fork-hello", "closed-hello"):       # due in a week / due yesterday, no late window
        sub = Submission.objects.create(user=student, assignment=assignment, number=1, created_at=timezone.now(),
                                        status="done", result_json=json.dumps(data), score=graded["bad"].score,
                                        max_score=4.0, final_score=graded["bad"].score)
        pages[assignment] = client_for(student).get(f"/s/{sub.id}/feedback/").content.decode().split('id="test-3"')[1]
    assert "This is a hidden test" in pages["fork-hello"]
    assert "This is a hidden test" not in pages["closed-hello"] and "process.count" in pages["closed-hello"]


def test_the_class_summary_lists_a_student_who_sent_nothing_as_no_submission(site: Any, graded: dict[str, Any],
                                                                             ta: Any) -> None:
    nobody = make_student()
    page = client_for(ta).get("/staff/a/fork-hello/summary/").content.decode()
    (row,) = [r for r in page.split("<tr>") if f"{nobody.username}<" in r or f"{nobody.username} " in r]
    assert "no submission" in row and "run the batch again" not in page
