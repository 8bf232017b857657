"""The course file and its rules, as pure functions: deadlines, late penalties, the score that counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from site_helpers import copy_assignment

from grader.errors import UsageError
from grader.site.course import AssignmentEntry, LatePolicy, RateLimit, load_course
from grader.site.rules import after_due, counted, lateness, rate_limited, score_after_penalty

DUE = datetime(2026, 12, 10, 14, 59, tzinfo=timezone.utc)


@dataclass
class A:
    number: int
    final_score: float | None


def test_on_time_late_and_closed() -> None:
    entry = AssignmentEntry(path="x", due=DUE, late=LatePolicy(until=DUE + timedelta(days=3), penalty_per_day=15))
    assert lateness(entry, DUE).late is False
    one = lateness(entry, DUE + timedelta(minutes=1))
    assert (one.accepted, one.late, one.days_late, one.penalty_percent) == (True, True, 1, 15.0)
    assert lateness(entry, DUE + timedelta(days=2, hours=1)).penalty_percent == 45.0
    assert lateness(entry, DUE + timedelta(days=3, seconds=1)).accepted is False
    no_late = AssignmentEntry(path="x", due=DUE)
    assert lateness(no_late, DUE + timedelta(seconds=1)).accepted is False
    assert lateness(AssignmentEntry(path="x"), DUE + timedelta(days=99)).accepted is True


def test_the_penalty_never_goes_below_zero() -> None:
    assert score_after_penalty(4.0, 20.0) == 3.2
    assert score_after_penalty(4.0, 100.0) == 0.0


def test_after_due_waits_for_the_late_window_to_close() -> None:
    entry = AssignmentEntry(path="x", due=DUE, late=LatePolicy(until=DUE + timedelta(days=1)))
    assert after_due(entry, DUE + timedelta(hours=1)) is False
    assert after_due(entry, DUE + timedelta(days=1, seconds=1)) is True
    assert after_due(AssignmentEntry(path="x"), DUE) is False


def test_last_and_best() -> None:
    attempts = [A(1, 3.0), A(2, 4.0), A(3, 2.0), A(4, None)]
    assert counted(attempts, "last").number == 3        # the ungraded 4th does not count yet
    assert counted(attempts, "best").number == 2
    assert counted([A(1, 4.0), A(2, 4.0)], "best").number == 1
    assert counted([A(1, None)], "last") is None


def test_the_rate_limit_names_the_moment_the_next_attempt_is_allowed() -> None:
    now = DUE
    limit = RateLimit(submissions=2, minutes=10)
    assert rate_limited([now - timedelta(minutes=1)], limit, now) is None
    times = [now - timedelta(minutes=8), now - timedelta(minutes=1)]
    assert rate_limited(times, limit, now) == now + timedelta(minutes=2)
    assert rate_limited([now - timedelta(minutes=11), now - timedelta(minutes=1)], limit, now) is None


def test_a_deadline_without_a_time_zone_is_an_error_naming_the_field(tmp_path: Path) -> None:
    copy_assignment(tmp_path / "fork-hello", "fork-hello")
    (tmp_path / "course.yaml").write_text("title: T\nassignments:\n  - {path: fork-hello, due: 2026-12-10T23:59:00}\n",
                                          encoding="utf-8")
    with pytest.raises(UsageError, match=r"course.yaml: assignments.0.due: .*time zone"):
        load_course(tmp_path)


@pytest.mark.parametrize(("text", "match"), [
    ("title: T\nassignments: []\n", r"assignments: List should have at least 1 item"),
    ("title: T\nassignments:\n  - {path: fork-hello}\nscore: median\n", r"score: Input should be 'last' or 'best'"),
    ("title: T\nassignments:\n  - {path: nowhere}\n", r"an assignment is invalid: .*nowhere"),
    ("title: T\nasignments: []\n", r"asignments: Extra inputs are not permitted"),
])
def test_a_wrong_course_file_says_where(tmp_path: Path, text: str, match: str) -> None:
    copy_assignment(tmp_path / "fork-hello", "fork-hello")
    (tmp_path / "course.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=match):
        load_course(tmp_path)


def test_a_missing_course_file_points_at_the_demo(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        load_course(tmp_path)
    assert "course.yaml is missing" in info.value.message and "--demo" in (info.value.hint or "")


def test_the_database_is_sqlite_in_the_course_folder_unless_a_postgresql_url_is_given(tmp_path: Path) -> None:
    from grader.site.settings import database_settings

    sqlite = database_settings(None, tmp_path)
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3" and sqlite["NAME"] == str(tmp_path / "db.sqlite3")
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]
    pg = database_settings("postgresql://grader:p%40ss@db.example:5433/course", tmp_path)
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql", "course", "grader", "p@ss", "db.example", "5433")
    with pytest.raises(UsageError, match="expected sqlite:///PATH or postgresql://"):
        database_settings("mysql://x/y", tmp_path)


def test_every_string_of_the_site_has_its_korean_and_the_compiled_catalog_is_current() -> None:
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from grader.site.i18n import CATALOG

    with CATALOG.open("rb") as fh:
        catalog = read_po(fh, locale="ko")
    untranslated = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple)
                                                                        and not all(m.string)) or m.fuzzy)]
    assert untranslated == []
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    assert CATALOG.with_suffix(".mo").read_bytes() == compiled.getvalue(), "run python -m grader.site.i18n compile"


def test_the_host_names_django_accepts_follow_the_listening_address() -> None:
    from grader.site import allowed_hosts

    assert "localhost" in allowed_hosts("127.0.0.1") and "*" not in allowed_hosts("127.0.0.1")
    assert allowed_hosts("0.0.0.0") == ["*"]
    assert "grader.cs.example.ac.kr" in allowed_hosts("grader.cs.example.ac.kr")
    assert "[fe80::1]" in allowed_hosts("fe80::1")
