"""One job through `run_job` against a real redis-server, without the engine: what a worker answers for a
malformed job, a job of another build, a job already graded, a job past its tries, and a blob that expired.
The sandbox given is None, so any of these that tried to grade would fail the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from services import redis_server

from grader.distributed import broker
from grader.distributed.jobs import Job, build_id, pack_folder, sha256
from grader.distributed.worker import run_job


@pytest.fixture()
def redis():
    with redis_server() as server:
        client = broker.connect(server.url)
        yield client
        client.close()


def _job(tmp_path: Path, redis, **changes) -> Job:
    folder = tmp_path / "sub"
    folder.mkdir(exist_ok=True)
    (folder / "hello.py").write_text("print('hello')\n", encoding="utf-8")
    data = pack_folder(folder)
    redis.set(broker.BLOB + sha256(data), data)
    fields = {"build": build_id(), "assignment_blob": "a" * 64, "assignment_file": "assignment.yaml",
              "submission_blob": sha256(data), "label": "kim", **changes}
    return Job(**fields)


def _reply(redis, job_id: str) -> dict:
    popped = redis.blpop([broker.DONE + job_id], timeout=5)
    assert popped is not None, "no reply"
    return json.loads(popped[1])


def _run(job_data, redis, tmp_path: Path) -> None:
    run_job(job_data, redis=redis, sandbox=None, build=build_id(), cache_dir=tmp_path, worker="test:1")


def test_a_malformed_job_is_answered_with_what_is_wrong(redis, tmp_path: Path) -> None:
    _run({"job_id": "j1", "build": build_id(), "assignment_blob": "not a hash"}, redis, tmp_path)
    reply = _reply(redis, "j1")
    assert reply["status"] == "error" and reply["message"].startswith("malformed job: a job needs")


def test_a_job_of_another_build_is_refused_and_counted(redis, tmp_path: Path) -> None:
    job = _job(tmp_path, redis, build="0.0.1+000000000000")
    _run(job.to_dict(), redis, tmp_path)
    reply = _reply(redis, job.job_id)
    assert reply["status"] == "refused" and "the job is for build 0.0.1+000000000000" in reply["message"]
    assert redis.hget(broker.WORKER + "test:1", "refused") == b"1"


def test_a_job_already_graded_gets_the_stored_result_without_grading(redis, tmp_path: Path) -> None:
    job = _job(tmp_path, redis)
    stored = {"status": "graded", "job_id": "earlier", "result": {"submission": "kim", "score": 1}}
    redis.set(broker.RESULT + job.result_key(), json.dumps(stored))
    _run(job.to_dict(), redis, tmp_path)
    assert _reply(redis, job.job_id) == stored
    assert redis.get(broker.TRIES + job.job_id) is None       # not even counted as a delivery


def test_a_job_past_its_tries_ends_as_an_error(redis, tmp_path: Path) -> None:
    job = _job(tmp_path, redis)
    redis.set(broker.TRIES + job.job_id, broker.MAX_TRIES)
    _run(job.to_dict(), redis, tmp_path)
    reply = _reply(redis, job.job_id)
    assert reply["status"] == "error"
    assert reply["message"] == ("the grading stopped its worker process 3 times (killed or out of memory); "
                                "it was not graded")
    assert redis.get(broker.RESULT + job.result_key()) is None    # an error is not kept as the result


def test_an_expired_blob_is_an_error_that_says_so(redis, tmp_path: Path) -> None:
    job = _job(tmp_path, redis)          # its assignment blob ("aaaa...") was never uploaded
    _run(job.to_dict(), redis, tmp_path)
    reply = _reply(redis, job.job_id)
    assert reply["status"] == "error" and "is no longer on the broker (expired)" in reply["message"]


def test_a_sender_that_loses_the_broker_says_so_in_one_line(tmp_path: Path) -> None:
    from grader.distributed.client import BrokerClient

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "assignment.yaml").write_text("id: x\n", encoding="utf-8")
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "hello.py").write_text("print('hello')\n", encoding="utf-8")
    with redis_server() as server:
        client = BrokerClient(server.url)
    # the server is gone now (stopped when its block ended)
    with pytest.raises(broker.BrokerError, match=r"lost the broker at redis://:\*\*\*@127\.0\.0\.1:\d+/0 while kim"):
        client.grade(tmp_path / "a" / "assignment.yaml", tmp_path / "s", label="kim")
    client._closed.set()
