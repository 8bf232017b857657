"""A server killed with SIGKILL while 20 submissions are queued and 2 are being graded: after a restart all
22 are graded, each result stored exactly once (real `grader serve` processes, real Docker gradings)."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from services import free_port
from site_helpers import SLOW_HELLO, SLOW_PROGRAM, start_serve

pytestmark = [pytest.mark.engine, pytest.mark.slow]





def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return dict(conn.execute("SELECT status, COUNT(*) FROM portal_submission GROUP BY status").fetchall())


def _login(base: str, invite: str) -> Any:
    import requests

    session = requests.Session()
    page = session.get(invite, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    done = session.post(invite, data={"csrfmiddlewaretoken": token[1], "password": "a long password 22",
                                      "password2": "a long password 22"}, headers={"Referer": invite}, timeout=30)
    assert done.status_code == 200 and done.url == base + "/", done.text[:500]
    return session


def test_kill_9_with_20_queued_and_2_running_then_all_22_are_graded_exactly_once(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "slow-hello").mkdir(parents=True)
    (course / "slow-hello" / "assignment.yaml").write_text(SLOW_HELLO, encoding="utf-8")
    (course / "roster.csv").write_text("Student,SIS Login ID\nAlice Kim,alice\n", encoding="utf-8")
    (course / "course.yaml").write_text(
        "title: Restart\nroster: roster.csv\nrate_limit: {submissions: 50, minutes: 10}\nmax_pending: 30\nlive_steps: false\n"
        "assignments:\n  - path: slow-hello\n", encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    first, text = start_serve(course, port, log)
    db = course / ".grader-site" / "db.sqlite3"
    try:
        invite = re.search(r"^new student alice: (\S+)$", text, re.MULTILINE)
        assert invite, text
        session = _login(base, invite[1])
        page = session.get(base + "/a/slow-hello/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        for _ in range(22):
            sent = session.post(base + "/a/slow-hello/submit/", data={"csrfmiddlewaretoken": token},
                                files={"files": ("hello.py", SLOW_PROGRAM)}, headers={"Referer": base + "/"},
                                timeout=30, allow_redirects=False)
            assert sent.status_code == 302, sent.text[:2000]
        deadline = time.monotonic() + 60
        while _counts(db) != {"running": 2, "queued": 20} and time.monotonic() < deadline:
            assert "done" not in _counts(db), f"one finished before the kill: {_counts(db)}"
            time.sleep(0.05)
        assert _counts(db) == {"running": 2, "queued": 20}
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert _counts(db) == {"running": 2, "queued": 20}       # the database kept the queue as it was

    second, text = start_serve(course, port, log)
    try:
        assert "requeued 2 submissions that were being graded when the server stopped" in text
        deadline = time.monotonic() + 400
        while _counts(db).get("done", 0) < 22 and time.monotonic() < deadline:
            assert "error" not in _counts(db), _counts(db)
            time.sleep(1)
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(20)
        except subprocess.TimeoutExpired:
            second.kill()
    assert _counts(db) == {"done": 22}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT number, gradings, starts, score FROM portal_submission ORDER BY number").fetchall()
    assert [r[0] for r in rows] == list(range(1, 23))
    assert all(r[1] == 1 for r in rows), rows                   # one stored result each
    assert sorted(r[2] for r in rows) == [1] * 20 + [2] * 2     # the two interrupted ones ran again
    assert all(r[3] == 1.0 for r in rows), rows
