"""Grading workers on a real Redis broker (Debian's redis-server on loopback, with a password), real
`grader worker` processes and real Docker gradings: a class graded through the broker while one worker
is killed with kill -9, a worker of another build that refuses, a poisoned job, a wrong password."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from services import redis_server, self_signed

pytestmark = [pytest.mark.engine]

ROOT = Path(__file__).resolve().parents[2]
TINY = """\
id: tiny-hello
title: Tiny hello
language: python
files: [hello.py]
run: [python3, hello.py]
limits: {timeout: 10s}
repeat: 1
tests:
  - name: prints hello once
    points: 2
    checks:
      - output.count: {pattern: '^hello$', equals: 1}
"""


def _assignment(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assignment.yaml").write_text(TINY, encoding="utf-8")
    return folder / "assignment.yaml"


def _class(folder: Path, count: int) -> Path:
    """`count` students, each with a program of their own (no two alike); every fifth prints hello twice."""
    for index in range(count):
        student = folder / f"s{index:03d}"
        student.mkdir(parents=True)
        body = "print('hello')\n" * (2 if index % 5 == 4 else 1)
        (student / "hello.py").write_text(f"# student {index}\n{body}", encoding="utf-8")
    return folder


def _worker(url: str, log: Path, *, concurrency: int = 2, visibility: int = 20, env: dict[str, str] | None = None,
            python_path: Path | None = None) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "GRADER_BROKER": url, "PYTHONUNBUFFERED": "1", **(env or {})}
    if python_path is not None:
        environment["PYTHONPATH"] = str(python_path)
    return subprocess.Popen([sys.executable, "-m", "grader.cli", "worker", "--concurrency", str(concurrency),
                             "--visibility-timeout", str(visibility)],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT if python_path is None else
                            python_path, env=environment, start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _workers(url: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "grader.cli", "workers", "--json", "--broker", url],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def _wait_for(predicate, what: str, timeout: float = 90.0, procs: tuple = (), logs: tuple = ()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for proc, log in zip(procs, logs):
            assert proc.poll() is None, f"a worker exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
        time.sleep(0.3)
    tails = "\n".join(log.read_text(errors="replace")[-2000:] for log in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


def _batch(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader.cli", "-q", "batch", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=900, env={**os.environ, **(env or {})})


def _graded_labels(log: Path) -> list[str]:
    return re.findall(r"job [0-9a-f]{32} \((s\d{3})\): graded in", log.read_text(errors="replace"))


@pytest.mark.slow
def test_a_class_through_two_workers_one_killed_mid_run_is_graded_once_each_and_as_on_one_machine(
        tmp_path: Path) -> None:
    spec = _assignment(tmp_path / "assignment")
    submissions = _class(tmp_path / "class", 100)
    with redis_server() as redis:
        logs = (tmp_path / "worker-a.log", tmp_path / "worker-b.log")
        first, second = (_worker(redis.url, log) for log in logs)
        try:
            _wait_for(lambda: len(_workers(redis.url)) == 2, "two live workers", procs=(first, second), logs=logs)
            sender = subprocess.Popen([sys.executable, "-m", "grader.cli", "-q", "batch", str(spec), str(submissions),
                                       "--out", str(tmp_path / "out-broker"), "--broker", redis.url],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
            # kill -9 the first worker (its main process and its pool) once it has graded ten and holds more
            _wait_for(lambda: len(_graded_labels(logs[0])) >= 10, "the first worker's tenth grading",
                      procs=(first, second), logs=logs)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
            killed_at_text = logs[0].read_text(errors="replace")
            out, err = sender.communicate(timeout=600)
        finally:
            _stop(first)
            _stop(second)
        assert sender.returncode == 1, (sender.returncode, out, err)     # every fifth is below full marks
        assert "100 graded, 0 already graded, 0 refused at intake, 0 grader errors" in out, out + err

        # The kill came in the middle of jobs: the first worker had taken some it never finished...
        received = set(re.findall(r"Task grader\.grade\[([0-9a-f-]+)\] received", killed_at_text))
        finished = set(re.findall(r"Task grader\.grade\[([0-9a-f-]+)\] succeeded", killed_at_text))
        assert received - finished, "the first worker was killed between jobs, not in the middle of one"
        # ...and no submission was graded twice: each label has at most one grading across both workers.
        counts = Counter(_graded_labels(logs[0]) + _graded_labels(logs[1]))
        assert max(counts.values()) == 1, [label for label, n in counts.items() if n > 1]
        assert len(counts) >= 98, len(counts)       # (a grading whose log line the kill cut is served from the cache)

    with sqlite3.connect(tmp_path / "out-broker" / "results.sqlite") as db:
        rows = db.execute("select student, outcome from results").fetchall()
    assert len(rows) == 100 and {outcome for _, outcome in rows} == {"graded"}
    assert len({student for student, _ in rows}) == 100

    local = _batch([str(spec), str(submissions), "--out", str(tmp_path / "out-local"), "-j", "2"])
    assert local.returncode == 1, local.stderr
    broker_csv = (tmp_path / "out-broker" / "grades.csv").read_text(encoding="utf-8")
    local_csv = (tmp_path / "out-local" / "grades.csv").read_text(encoding="utf-8")
    assert broker_csv == local_csv
    scores = {row["student"]: row["score"] for row in csv.DictReader(io.StringIO(broker_csv))}
    assert scores["s004"] == "0" and scores["s000"] == "2" and len(scores) == 100


def _other_build(tmp_path: Path) -> Path:
    """A copy of the grader package that differs by one comment: another build of the same version."""
    copy = tmp_path / "other-build"
    shutil.copytree(ROOT / "grader", copy / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "grader" / "distributed" / "__init__.py").open("a", encoding="utf-8") as fh:
        fh.write("# another build of the same version\n")
    return copy


def test_a_worker_of_another_build_refuses_and_the_sender_fails_fast(tmp_path: Path) -> None:
    from grader.distributed import broker
    from grader.distributed.client import BrokerClient
    from grader.distributed.jobs import Job, build_id

    spec = _assignment(tmp_path / "assignment")
    submissions = _class(tmp_path / "class", 2)
    with redis_server() as redis:
        log = tmp_path / "other.log"
        other = _worker(redis.url, log, concurrency=1, python_path=_other_build(tmp_path))
        try:
            alive = _wait_for(lambda: _workers(redis.url), "the other build's worker", procs=(other,), logs=(log,))
            foreign = alive[0]["build"]
            assert foreign != build_id() and alive[0]["same_build"] is False
            # `grader batch --broker` stops at once, exit 4, and says which builds are there.
            sent = _batch([str(spec), str(submissions), "--out", str(tmp_path / "out"), "--broker", redis.url])
            assert sent.returncode == 4, sent.stdout + sent.stderr
            assert f"no grading worker of this grader's build ({build_id()})" in sent.stderr
            assert f"1 worker(s) alive, of grader build {foreign}" in sent.stderr
            assert redis.password not in sent.stderr + sent.stdout
            # A job of this build put straight on the other build's queue is refused with a log line.
            with BrokerClient(redis.url) as client:
                job = Job(build=client.build, assignment_blob=client.upload(spec.parent), assignment_file=spec.name,
                          submission_blob=client.upload(submissions / "s000"), label="s000")
                client._app.send_task("grader.grade", args=[job.to_dict()], queue=broker.queue_name(foreign))
                reply = client.redis.blpop([broker.DONE + job.job_id], timeout=60)
                assert reply is not None, log.read_text()[-3000:]
                answer = json.loads(reply[1])
                assert answer["status"] == "refused" and f"the job is for build {client.build}" in answer["message"]
                _wait_for(lambda: "refusing the jobs of grader build " + client.build in log.read_text(),
                          "the waiting-sender log line", procs=(other,), logs=(log,))
            text = log.read_text(errors="replace")
            assert f"refused job {job.job_id} (s000): it is for grader build {client.build}" in text
            assert _workers(redis.url)[0]["refused"] == 1 and _workers(redis.url)[0]["jobs_done"] == 0
        finally:
            _stop(other)


def test_a_poisoned_job_ends_as_an_error_after_three_tries_and_the_worker_goes_on(tmp_path: Path) -> None:
    from grader.distributed.client import BrokerClient, WorkerRefusal

    spec = _assignment(tmp_path / "assignment")
    submissions = _class(tmp_path / "class", 2)
    with redis_server() as redis:
        log = tmp_path / "worker.log"
        worker = _worker(redis.url, log, concurrency=1, env={"GRADER_TEST_POISON": "s001"})
        try:
            _wait_for(lambda: _workers(redis.url), "a live worker", procs=(worker,), logs=(log,))
            with BrokerClient(redis.url) as client:
                with pytest.raises(WorkerRefusal) as refused:
                    client.grade(spec, submissions / "s001", label="s001")
                assert "the grading stopped its worker process 3 times" in str(refused.value.message)
                # the same worker, with a fresh pool child, grades the next job
                result = client.grade(spec, submissions / "s000", label="s000")
                assert result.submission == "s000" and result.score == 2
        finally:
            _stop(worker)
        assert log.read_text(errors="replace").count("Process 'ForkPoolWorker") >= 3 or "WorkerLostError" in log.read_text()


def test_the_broker_refuses_a_wrong_password_with_exit_4_and_never_prints_it(tmp_path: Path) -> None:
    with redis_server(password="right-password") as redis:
        wrong = redis.url.replace("right-password", "wrong-password")
        for command in (["workers", "--broker", wrong], ["worker", "--broker", wrong]):
            out = subprocess.run([sys.executable, "-m", "grader.cli", *command], capture_output=True, text=True,
                                 cwd=ROOT, timeout=60)
            assert out.returncode == 4, (command, out.stdout, out.stderr)
            assert "refused the password" in out.stderr and "wrong-password" not in out.stderr + out.stdout
        missing = subprocess.run([sys.executable, "-m", "grader.cli", "workers", "--broker",
                                  redis.url.replace(":right-password@", "")], capture_output=True, text=True,
                                 cwd=ROOT, timeout=60)
        assert missing.returncode == 4 and "needs a password" in missing.stderr, missing.stderr


def test_workers_and_senders_speak_tls_to_the_broker_and_refuse_a_certificate_they_cannot_verify(
        tmp_path: Path) -> None:
    from grader.distributed.client import BrokerClient

    spec = _assignment(tmp_path / "assignment")
    submissions = _class(tmp_path / "class", 1)
    with redis_server(tls=True) as redis:
        assert redis.url.startswith("rediss://")
        plain = redis.url.replace("rediss://", "redis://").split("?")[0]
        refused = subprocess.run([sys.executable, "-m", "grader.cli", "workers", "--broker", plain],
                                 capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert refused.returncode == 4, refused.stderr            # a TLS-only broker does not talk plain text
        other_ca, _ = self_signed(tmp_path)
        untrusted = redis.url.replace(str(redis.ca_file), str(other_ca))
        bad = subprocess.run([sys.executable, "-m", "grader.cli", "workers", "--broker", untrusted],
                             capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert bad.returncode == 4 and "the TLS connection to the broker" in bad.stderr, bad.stderr
        assert "certificate verify failed" in bad.stderr and redis.password not in bad.stderr
        log = tmp_path / "worker.log"
        worker = _worker(redis.url, log, concurrency=1)
        try:
            _wait_for(lambda: _workers(redis.url), "a live worker over TLS", procs=(worker,), logs=(log,))
            with BrokerClient(redis.url) as client:
                result = client.grade(spec, submissions / "s000", label="s000")
            assert result.score == 2 and result.submission == "s000"
        finally:
            _stop(worker)
