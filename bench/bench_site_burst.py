"""Benchmark: a deadline burst on `grader serve` - every student of a class submits at the same moment.

Not a test. Starts a real `grader serve` (SQLite, in-process workers, the Docker sandbox) on a course with
the site tests' frozen fork-hello, logs N students in, then measures side by side in one run:
- the upload request (intake + database row + queueing) of one student alone vs. of N at once (ratio);
- the time from the burst until every attempt is graded, vs. N x one grading / W workers (efficiency);
- how long the status page answers while the workers grade (p95 of a status poll during the drain);
- the price of "step k of n": one grading through the site's ProgressSandbox (a session per run group)
  vs. the plain sandbox (one session for the submission), alternated, median of --rounds each.
Run: python3 bench/bench_site_burst.py [--students 24] [--workers 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
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


def _course(folder: Path, students: int) -> None:
    shutil.copytree(ASSIGNMENT, folder / "fork-hello")
    rows = "".join(f"Student {i},s{i:03d}\n" for i in range(students + 1))
    (folder / "roster.csv").write_text("Student,SIS Login ID\n" + rows, encoding="utf-8")
    (folder / "course.yaml").write_text(
        "title: Burst\nroster: roster.csv\nrate_limit: {submissions: 100, minutes: 10}\nmax_pending: 10\n"
        "assignments:\n  - path: fork-hello\n", encoding="utf-8")


def _login(invite: str) -> requests.Session:
    session = requests.Session()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(invite, timeout=60).text)
    assert token
    session.post(invite, data={"csrfmiddlewaretoken": token[1], "password": PASSWORD, "password2": PASSWORD},
                 headers={"Referer": invite}, timeout=60)
    return session


def _submit(session: requests.Session, base: str) -> float:
    token = session.cookies.get("csrftoken")
    started = time.perf_counter()
    sent = session.post(base + "/a/fork-hello/submit/", data={"csrfmiddlewaretoken": token},
                        files={"files": ("hello.py", PROGRAM)}, headers={"Referer": base + "/"}, timeout=120,
                        allow_redirects=False)
    elapsed = time.perf_counter() - started
    assert sent.status_code == 302, sent.text[:500]
    return elapsed


def _done(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM portal_submission WHERE status IN ('done', 'error')")
                   .fetchone()[0])


def _wait_done(db: Path, count: int, timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    while _done(db) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {_done(db)} of {count} graded in {timeout:.0f} s")
        time.sleep(0.2)


def _progress_price(rounds: int) -> tuple[float, float]:
    """Median seconds of one in-process grading: plain sandbox, then through ProgressSandbox."""
    from grader.grading import grade
    from grader.sandbox.docker_sandbox import DockerSandbox
    from grader.site.worker import ProgressSandbox
    from grader.spec.loader import load_assignment

    spec = load_assignment(ASSIGNMENT)
    sandbox = DockerSandbox()
    times: dict[str, list[float]] = {"plain": [], "progress": []}
    with tempfile.TemporaryDirectory(prefix="grader-bench-sub-") as tmp:
        folder = Path(tmp)
        (folder / "hello.py").write_bytes(PROGRAM)
        for _ in range(rounds):
            for kind in ("plain", "progress"):
                box = sandbox if kind == "plain" else ProgressSandbox(sandbox, lambda k, n, name: None)
                started = time.perf_counter()
                result = grade(spec, folder, box)
                times[kind].append(time.perf_counter() - started)
                assert result.full_marks, result.error
    return statistics.median(times["plain"]), statistics.median(times["progress"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    plain, progress = _progress_price(args.rounds)
    n, workers = args.students, args.workers
    with tempfile.TemporaryDirectory(prefix="grader-bench-site-") as tmp:
        course = Path(tmp) / "course"
        course.mkdir()
        _course(course, n)
        port = _port()
        base = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "server.log"
        with log.open("w") as out:
            server = subprocess.Popen([sys.executable, "-m", "grader.cli", "serve", str(course), "--port", str(port),
                                       "--workers", str(workers)], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                      env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            while "serving http" not in log.read_text() or not _listening(port):   # printed just before the bind
                if server.poll() is not None:
                    raise SystemExit(log.read_text())
                time.sleep(0.2)
            invites = dict(re.findall(r"^new student (\S+): (\S+)$", log.read_text(), re.MULTILINE))
            sessions = [_login(invites[f"s{i:03d}"]) for i in range(n + 1)]
            db = course / ".grader-site" / "db.sqlite3"

            # One student alone, grading included: the baseline of one upload and of one grading.
            alone = _submit(sessions[n], base)
            started = time.perf_counter()
            _wait_done(db, 1)
            one_grading = time.perf_counter() - started

            # The burst: every other student at the same moment.
            latencies: list[float] = []
            gate = threading.Barrier(n)

            def burst(session: requests.Session) -> None:
                gate.wait()
                latencies.append(_submit(session, base))

            threads = [threading.Thread(target=burst, args=(s,)) for s in sessions[:n]]
            burst_start = time.perf_counter()
            for thread in threads:
                thread.start()
            polls: list[float] = []
            status_session = sessions[n]
            while _done(db) < n + 1:
                t0 = time.perf_counter()
                status_session.get(base + "/s/1/status/", timeout=60)
                polls.append(time.perf_counter() - t0)
                time.sleep(0.5)
            drain = time.perf_counter() - burst_start
            for thread in threads:
                thread.join()
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()

    def ms(value: float) -> str:
        return f"{value * 1000:.0f} ms"

    p50 = statistics.median(latencies)
    p95 = sorted(latencies)[max(0, int(len(latencies) * 0.95) - 1)]
    ideal = n * one_grading / workers
    poll_p95 = sorted(polls)[max(0, int(len(polls) * 0.95) - 1)] if polls else 0.0
    print(f"grader serve, {n} students submitting at once, {workers} workers, {os.cpu_count()} cores")
    print(f"upload alone:            {ms(alone)}")
    print(f"upload in the burst:     p50 {ms(p50)}, p95 {ms(p95)}, max {ms(max(latencies))}"
          f"   (p50 / alone = {p50 / alone:.1f}x)")
    print(f"one grading:             {one_grading:.1f} s")
    print(f"burst drained in:        {drain:.1f} s   (ideal {n} x {one_grading:.1f} s / {workers} = {ideal:.1f} s; "
          f"efficiency {ideal / drain:.0%})")
    print(f"status poll while busy:  p95 {ms(poll_p95)} over {len(polls)} polls")
    print(f"one grading, in process: plain sandbox {plain:.2f} s, with step k of n {progress:.2f} s "
          f"(ratio {progress / plain:.2f}x, median of {args.rounds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())


