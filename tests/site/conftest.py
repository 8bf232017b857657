"""The site's HTTP tests share one course (Django is configured once per process) and two results from
real gradings: the fork-hello reference and a faulty solution, each graded once through the worker."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from site_helpers import FAULTY, HELLO, PASSWORD, copy_assignment, make_student


@pytest.fixture(scope="session")
def course_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fork-hello (due in a week, best attempt counts), late-hello (due 36 h ago, late window open, 10%/day),
    closed-hello (due yesterday, no late window)."""
    folder = tmp_path_factory.mktemp("course")
    copy_assignment(folder / "fork-hello", "fork-hello")
    copy_assignment(folder / "late-hello", "late-hello")
    copy_assignment(folder / "closed-hello", "closed-hello")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    (folder / "course.yaml").write_text(f"""\
title: OS test course
languages: [en, ko]
staff:
  - {{username: ta1, role: ta, name: Park TA}}
score: last
rate_limit: {{submissions: 4, minutes: 10}}
max_pending: 2
assignments:
  - path: fork-hello
    due: {(now + timedelta(days=7)).isoformat()}
    score: best
  - path: late-hello
    due: {(now - timedelta(hours=36)).isoformat()}
    late: {{until: {(now + timedelta(days=2)).isoformat()}, penalty_per_day: 10}}
  - path: closed-hello
    due: {(now - timedelta(days=1)).isoformat()}
""", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def site(course_dir: Path) -> Any:
    from grader.site import start

    return start(course_dir)


@pytest.fixture()
def student(site: Any) -> Any:
    """A fresh student (so rate limits and pending caps start at zero)."""
    return make_student()


@pytest.fixture(scope="session")
def ta(site: Any) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="ta1")   # made from course.yaml's staff at start
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture(scope="session")
def graded(site: Any) -> dict[str, Any]:
    """kim's two attempts at fork-hello, graded for real by the worker (Docker sandbox): 1 reference, 2 faulty."""
    from grader.sandbox.select import make_sandbox
    from grader.site.portal.models import Submission
    from grader.site.submit import Upload, accept
    from grader.site.worker import grade_submission

    runtime = site.runtime
    kim = make_student("kim")
    subs = []
    for path in (HELLO, FAULTY):
        with path.open("rb") as fh:
            subs.append(accept(runtime.course, runtime.site_dir, kim, "fork-hello",
                               [Upload("hello.py", fh, path.stat().st_size)], queue=runtime.queue))
    for sub in subs:
        # Claimed by id, not queue.claim(): other tests' attempts may be queued ahead of these.
        token = f"fixture-{sub.id}"
        assert Submission.objects.filter(id=sub.id, status="queued").update(status="running", claim=token) == 1
        grade_submission(sub.id, token, course=runtime.course, site_dir=runtime.site_dir,
                         make_sandbox=lambda choice: make_sandbox("docker"))
    good, bad = (Submission.objects.get(id=s.id) for s in subs)

    def why(sub: Any) -> str:
        result = sub.result()
        tests = [(t.name, t.status, t.message) for t in result.tests] if result else []
        return f"status {sub.status}, score {sub.score}, error {sub.error!r}, tests {tests}"

    assert good.status == Submission.DONE and good.score == good.max_score == 4.0, why(good)
    assert bad.status == Submission.DONE and bad.score is not None and bad.score < 4.0, why(bad)
    return {"user": kim, "good": good, "bad": bad}
