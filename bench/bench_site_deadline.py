"""Benchmark: the hour before a deadline on `grader serve` - 50 students post 200 submissions within a minute.

Not a test. Starts a real `grader serve` (SQLite, in-process workers, the Docker sandbox) on a course with the
site tests' frozen fork-hello, logs the students in, then each student posts its submissions at random
moments (seeded) within the window, over HTTP, as a browser would (CSRF token, multipart upload). Reports:
- time to drain the queue (from the first post until every attempt is graded);
- p50 / p95 time from upload to feedback (the row's created_at to finished_at, as the student waits);
- the server process's peak resident memory (VmHWM), its worker threads included;
- how many were lost: posts the site accepted (302) that did not end graded (must be 0).
Run: python3 bench/bench_site_deadline.py [--students 50] [--submissions 200] [--window 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "tests" / "site" / "data" / "fork-hello"
PROGRAM = (ASSIGNMENT / "solution" / "hello.py").read_bytes()
PASSWORD = "bench password 1234"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _course(folder: Path, students: int, per_student: int) -> None:
    shutil.copytree(ASSIGNMENT, folder / "fork-hello")
    rows = "".join(f"Student {i},s{i:03d}\n" for i in range(students))
    (folder / "roster.csv").write_text("Student,SIS Login ID\n" + rows, encoding="utf-8")
    (folder / "course.yaml").write_text(
        f"title: Deadline\nroster: roster.csv\nrate_limit: {{submissions: {per_student + 10}, minutes: 10}}\n"
        f"max_pending: {per_student + 1}\nassignments:\n  - path: fork-hello\n", encoding="utf-8")


def _login(invite: str) -> requests.Session:
    session = requests.Session()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(invite, timeout=60).text)
    assert token, "no CSRF token on the invite page"
    session.post(invite, data={"csrfmiddlewaretoken": token[1], "password": PASSWORD, "password2": PASSWORD},
                 headers={"Referer": invite}, timeout=60)
    return session


def _peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which they are posted")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    per_student = -(-args.submissions // args.students)
    plan = sorted((rng.uniform(0, args.window), i % args.students) for i in range(args.submissions))
    with tempfile.TemporaryDirectory(prefix="grader-bench-deadline-") as tmp:
        course = Path(tmp) / "course"
        course.mkdir()
        _course(course, args.students, per_student)
        port = _port()
        base = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "server.log"
        with log.open("w") as out:
            server = subprocess.Popen([sys.executable, "-m", "grader.cli", "serve", str(course), "--port", str(port),
                                       "--workers", str(args.workers)], stdout=out, stderr=subprocess.STDOUT,
                                      cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            while "serving http" not in log.read_text() or not _listening(port):   # printed just before the bind
                if server.poll() is not None:
                    raise SystemExit(log.read_text())
                time.sleep(0.2)
            invites = dict(re.findall(r"^new student (\S+): (\S+)$", log.read_text(), re.MULTILINE))
            sessions = [_login(invites[f"s{i:03d}"]) for i in range(args.students)]
            db = course / ".grader-site" / "db.sqlite3"
            accepted: list[int] = []
            refused: list[str] = []
            lock = threading.Lock()

            def post(at: float, student: int, start: float) -> None:
                time.sleep(max(0.0, start + at - time.perf_counter()))
                session = sessions[student]
                sent = session.post(base + "/a/fork-hello/submit/", data={"csrfmiddlewaretoken":
                                                                           session.cookies.get("csrftoken")},
                                    files={"files": ("hello.py", PROGRAM)}, headers={"Referer": base + "/"},
                                    timeout=300, allow_redirects=False)
                with lock:
                    if sent.status_code == 302:
                        accepted.append(student)
                    else:
                        refused.append(f"{sent.status_code}")

            start = time.perf_counter()
            threads = [threading.Thread(target=post, args=(at, student, start)) for at, student in plan]
            for thread in threads:
                thread.start()
            peak = 0
            while True:
                peak = max(peak, _peak_kb(server.pid))
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
                    left = conn.execute("SELECT COUNT(*) FROM portal_submission WHERE status IN "
                                        "('queued', 'running')").fetchone()[0]
                posted = all(not t.is_alive() for t in threads)
                if posted and left == 0:
                    break
                time.sleep(0.5)
            drain = time.perf_counter() - start
            for thread in threads:
                thread.join()
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
                rows = conn.execute("SELECT status, created_at, finished_at, gradings FROM portal_submission").fetchall()
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()

    def seconds(row: tuple) -> float:
        return (datetime.fromisoformat(str(row[2])) - datetime.fromisoformat(str(row[1]))).total_seconds()

    done = [r for r in rows if r[0] == "done"]
    waits = sorted(seconds(r) for r in done)
    lost = len(accepted) - len(done)
    print(f"grader serve, {args.students} students posting {args.submissions} submissions within {args.window:.0f} s, "
          f"{args.workers} workers, {os.cpu_count()} cores")
    print(f"accepted {len(accepted)}, refused {len(refused)} ({', '.join(sorted(set(refused))) or '-'}), "
          f"graded {len(done)}, graded more than once {sum(1 for r in rows if (r[3] or 0) > 1)}")
    print(f"queue drained in:        {drain:.1f} s from the first post")
    if waits:
        p95 = waits[max(0, int(len(waits) * 0.95) - 1)]
        print(f"upload to feedback:      p50 {statistics.median(waits):.1f} s, p95 {p95:.1f} s, max {waits[-1]:.1f} s")
    print(f"server peak memory:      {peak / 1024:.0f} MiB (VmHWM, workers included; containers not)")
    print(f"lost:                    {lost}")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
