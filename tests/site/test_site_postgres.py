"""`grader serve --db postgresql://...` against a real PostgreSQL: the first start makes the schema, a student
added from the roster logs in through the form and uploads fork-hello's reference, which is graded once; a
server killed with SIGKILL while 6 submissions wait or run is restarted on the same database and each of the
6 is graded exactly once (real `grader serve` processes, real Docker gradings)."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from services import PostgresServer, free_port, postgres_server
from site_helpers import SLOW_HELLO, SLOW_PROGRAM, start_serve

pytestmark = [pytest.mark.engine, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "assignments" / "fork-hello" / "solution" / "hello.py"
PASSWORD = "a long password 16"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture()
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


def _course(folder: Path, assignment: str) -> Path:
    """A course with one assignment and a roster of one student, alice (as `grader serve --help` says)."""
    folder.mkdir()
    if assignment == "fork-hello":
        shutil.copytree(ROOT / "assignments" / "fork-hello", folder / "fork-hello")
    else:
        (folder / assignment).mkdir()
        (folder / assignment / "assignment.yaml").write_text(SLOW_HELLO, encoding="utf-8")
    (folder / "roster.csv").write_text("Student,SIS Login ID\nAlice Kim,alice\n", encoding="utf-8")
    (folder / "course.yaml").write_text(
        f"title: PostgreSQL\nroster: roster.csv\nrate_limit: {{submissions: 50, minutes: 10}}\nmax_pending: 30\n"
        f"live_steps: false\nassignments:\n  - path: {assignment}\n", encoding="utf-8")
    return folder




def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _query(pg: PostgresServer, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(pg.url, connect_timeout=10) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def _counts(pg: PostgresServer) -> dict[str, int]:
    return dict(_query(pg, "SELECT status, COUNT(*) FROM portal_submission GROUP BY status"))  # type: ignore[arg-type]


def _tables(pg: PostgresServer) -> set[str]:
    return {row[0] for row in _query(pg, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def _csrf(page: Any) -> str:
    token = CSRF.search(page.text)
    assert token, page.text[:1000]
    return token[1]


def _accept_invite(base: str, invite: str) -> None:
    """Alice opens her invite link and chooses her password."""
    import requests

    session = requests.Session()
    token = _csrf(session.get(invite, timeout=30))
    done = session.post(invite, data={"csrfmiddlewaretoken": token, "password": PASSWORD, "password2": PASSWORD},
                        headers={"Referer": invite}, timeout=30)
    assert done.status_code == 200 and done.url == base + "/", done.text[:1000]


def _login(base: str, username: str) -> Any:
    """A fresh browser session logged in through the login form (its CSRF token taken from the form)."""
    import requests

    session = requests.Session()
    form = session.get(base + "/login/", timeout=30)
    assert form.status_code == 200
    done = session.post(base + "/login/", data={"csrfmiddlewaretoken": _csrf(form), "username": username,
                                                "password": PASSWORD, "next": "/"},
                        headers={"Referer": base + "/login/"}, timeout=30, allow_redirects=False)
    assert done.status_code == 302 and done.headers["Location"] == "/", (done.status_code, done.text[:1000])
    home = session.get(base + "/", timeout=30)
    assert home.status_code == 200 and home.url == base + "/" and "alice" in home.text, home.text[:1000]
    return session


def _submit(session: Any, base: str, assignment: str, name: str, data: bytes) -> int:
    page = session.get(f"{base}/a/{assignment}/", timeout=30)
    sent = session.post(f"{base}/a/{assignment}/submit/", data={"csrfmiddlewaretoken": _csrf(page)},
                        files={"files": (name, data)}, headers={"Referer": base + "/"}, timeout=30,
                        allow_redirects=False)
    assert sent.status_code == 302, sent.text[:2000]
    found = re.fullmatch(r"/s/(\d+)/", sent.headers["Location"])
    assert found, sent.headers["Location"]
    return int(found[1])


def test_first_start_on_postgresql_makes_the_schema_and_the_reference_is_graded_once(
        tmp_path: Path, pg: PostgresServer) -> None:
    course = _course(tmp_path / "course", "fork-hello")
    assert "portal_submission" not in _tables(pg)        # an empty database: the server must make the schema
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server, text = start_serve(course, port, tmp_path / "server.log", "--db", pg.url)
    try:
        assert {"portal_submission", "portal_member", "portal_invite", "auth_user", "django_session"} <= _tables(pg)
        applied = {(app, name) for app, name in _query(pg, "SELECT app, name FROM django_migrations")}
        assert ("portal", "0001_initial") in applied and ("auth", "0001_initial") in applied, applied
        assert not (course / ".grader-site" / "db.sqlite3").exists()   # nothing went to SQLite
        assert _query(pg, "SELECT username FROM auth_user") == [("alice",)]

        invite = re.search(r"^new student alice: (\S+)$", text, re.MULTILINE)
        assert invite, text
        _accept_invite(base, invite[1])
        session = _login(base, "alice")
        sub_id = _submit(session, base, "fork-hello", "hello.py", REFERENCE.read_bytes())

        deadline = time.monotonic() + 180
        while _counts(pg).get("done", 0) < 1 and time.monotonic() < deadline:
            assert "error" not in _counts(pg), _query(pg, "SELECT id, error FROM portal_submission")
            time.sleep(0.5)
        rows = _query(pg, "SELECT id, number, status, gradings, starts, score, max_score, claim "
                          "FROM portal_submission")
        assert rows == [(sub_id, 1, "done", 1, 1, 4.0, 4.0, "")], rows
        page = session.get(f"{base}/s/{sub_id}/feedback/", timeout=30)
        assert page.status_code == 200 and "hello os" in page.text
        time.sleep(2)          # two idle workers polling: neither claims the finished one again
        assert _query(pg, "SELECT gradings, starts FROM portal_submission") == [(1, 1)]
    finally:
        _stop(server)
    assert server.returncode == 0, (tmp_path / "server.log").read_text()


def test_kill_9_with_4_queued_and_2_running_then_a_restart_grades_each_of_6_exactly_once(
        tmp_path: Path, pg: PostgresServer) -> None:
    course = _course(tmp_path / "course", "slow-hello")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    first, text = start_serve(course, port, log, "--db", pg.url)
    try:
        invite = re.search(r"^new student alice: (\S+)$", text, re.MULTILINE)
        assert invite, text
        _accept_invite(base, invite[1])
        session = _login(base, "alice")
        for _ in range(6):
            _submit(session, base, "slow-hello", "hello.py", SLOW_PROGRAM)
        deadline = time.monotonic() + 60
        while _counts(pg) != {"running": 2, "queued": 4} and time.monotonic() < deadline:
            assert "done" not in _counts(pg), f"one finished before the kill: {_counts(pg)}"
            time.sleep(0.05)
        assert _counts(pg) == {"running": 2, "queued": 4}
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    assert _counts(pg) == {"running": 2, "queued": 4}       # the database kept the queue as it was

    second, text = start_serve(course, port, log, "--db", pg.url)
    try:
        assert "requeued 2 submissions that were being graded when the server stopped" in text
        assert text.count("new student alice") == 1          # the second start found the account in PostgreSQL
        _login(base, "alice")
        deadline = time.monotonic() + 240
        while _counts(pg).get("done", 0) < 6 and time.monotonic() < deadline:
            assert "error" not in _counts(pg), _query(pg, "SELECT id, error FROM portal_submission")
            time.sleep(0.5)
    finally:
        _stop(second)
    assert _counts(pg) == {"done": 6}
    rows = _query(pg, "SELECT number, gradings, starts, score FROM portal_submission ORDER BY number")
    assert [r[0] for r in rows] == list(range(1, 7))
    assert all(r[1] == 1 for r in rows), rows                   # one stored result each
    assert sorted(r[2] for r in rows) == [1] * 4 + [2] * 2, rows    # the two interrupted ones ran again
    assert all(r[3] == 1.0 for r in rows), rows
