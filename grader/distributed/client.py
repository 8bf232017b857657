"""The sending side: `grader batch --broker` (and any caller) grades through workers instead of in-process.

    client = BrokerClient("redis://:PASSWORD@host:6379/0")
    client.require_workers()                 # BrokerError (exit 4) when no worker of this build is alive
    result = client.grade(assignment_path, submission_folder, label="kim")
    client.close()

grade() uploads the assignment's folder (once per client) and the submission's folder as blobs addressed
by hash, sends the job to this build's queue and waits for the worker's reply. A result already stored for
the same (submission, assignment as asked, build) comes back without grading again. Thread-safe: the batch
calls it from many threads. The sender stores what comes back (the batch's own store), so resuming a batch
and its progress bar work as they do in-process.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from grader.distributed import broker
from grader.distributed.jobs import Job, build_id, pack_folder, sha256
from grader.distributed.worker import TASK, make_app
from grader.result import Result

__all__ = ["BrokerClient", "WorkerRefusal"]

log = logging.getLogger("grader.broker")

WAIT_POLL_S = 5.0


class WorkerRefusal(broker.BrokerError):
    """A worker answered a job with an error instead of a result (refused, poisoned, blob expired)."""


class BrokerClient:
    def __init__(self, url: str, *, stall_s: float = 120.0, visibility_timeout_s: int = 3600) -> None:
        self.url = url
        self.stall_s = stall_s
        self.redis = broker.connect(url)
        self.build = build_id()
        self.queue = broker.queue_name(self.build)
        self._app = make_app(url, visibility_timeout_s=visibility_timeout_s)
        self._send_lock = threading.Lock()
        self._packed: dict[Path, str] = {}
        self._pack_lock = threading.Lock()
        self._closed = threading.Event()
        self._waiting = threading.Thread(target=self._announce, name="grader-sender", daemon=True)
        self._waiting.start()

    # ----- workers
    def alive_workers(self) -> list[dict[str, Any]]:
        return broker.alive_workers(self.redis)

    def require_workers(self) -> list[dict[str, Any]]:
        """The live workers of this build; BrokerError naming what is there when there is none."""
        alive = self.alive_workers()
        mine = [w for w in alive if w.get("build") == self.build]
        if mine:
            return mine
        others = sorted({w.get("build", "?") for w in alive})
        there = (f"{len(alive)} worker(s) alive, of grader build {', '.join(others)}" if alive
                 else "no worker is alive")
        raise broker.BrokerError(
            f"no grading worker of this grader's build ({self.build}) is connected to {broker.redacted(self.url)}: "
            f"{there}",
            hint="start `grader worker --broker URL` on a machine with this same grader version")

    def capacity(self) -> int:
        """How many jobs the live workers of this build run at once."""
        return sum(max(1, int(w.get("concurrency") or 1)) for w in self.alive_workers()
                   if w.get("build") == self.build)

    # ----- blobs
    def upload(self, folder: Path) -> str:
        data = pack_folder(folder)
        digest = sha256(data)
        key = broker.BLOB + digest
        if not self.redis.set(key, data, nx=True, ex=broker.BLOB_TTL_S):
            self.redis.expire(key, broker.BLOB_TTL_S)
        return digest

    def _assignment_blob(self, assignment_path: Path) -> str:
        folder = Path(assignment_path).resolve().parent
        with self._pack_lock:
            if folder not in self._packed:
                self._packed[folder] = self.upload(folder)
            return self._packed[folder]

    # ----- grading
    def grade(self, assignment_path: Path, submission: Path, *, label: str, repeat: int | None = None,
              variant: str | None = None) -> Result:
        """The worker's result for this submission; WorkerRefusal when a worker answered with an error,
        BrokerError when the broker or every worker of this build is gone (the job may be sent again)."""
        import redis
        from kombu.exceptions import OperationalError

        try:
            return self._grade(assignment_path, submission, label=label, repeat=repeat, variant=variant)
        except (redis.ConnectionError, redis.TimeoutError, OperationalError) as exc:
            raise broker.BrokerError(f"lost the broker at {broker.redacted(self.url)} while {label} was being "
                                     f"graded ({type(exc).__name__})") from None

    def _grade(self, assignment_path: Path, submission: Path, *, label: str, repeat: int | None,
               variant: str | None) -> Result:
        job = Job(build=self.build, assignment_blob=self._assignment_blob(assignment_path),
                  assignment_file=Path(assignment_path).name, submission_blob=self.upload(Path(submission)),
                  label=label, repeat=repeat, variant=variant)
        stored = self.redis.get(broker.RESULT + job.result_key())
        reply = json.loads(stored) if stored is not None else self._send_and_wait(job)
        status = reply.get("status") if isinstance(reply, dict) else None
        if status != "graded":
            message = reply.get("message") if isinstance(reply, dict) else None
            raise WorkerRefusal(str(message or f"the worker's reply was not a result ({status!r})"))
        result = Result.from_json(reply["result"])
        return replace(result, submission=label)

    def _send_and_wait(self, job: Job) -> dict[str, Any]:
        with self._send_lock:
            self._app.send_task(TASK, args=[job.to_dict()], queue=self.queue)
        last_alive = time.monotonic()
        while True:
            popped = self.redis.blpop([broker.DONE + job.job_id], timeout=WAIT_POLL_S)
            if popped is not None:
                self.redis.delete(broker.DONE + job.job_id)
                return dict(json.loads(popped[1]))
            if any(w.get("build") == self.build for w in self.alive_workers()):
                last_alive = time.monotonic()
            elif time.monotonic() - last_alive > self.stall_s:
                raise broker.BrokerError(
                    f"no grading worker of build {self.build} has been alive for {self.stall_s:.0f} s; "
                    f"job {job.job_id} ({job.label}) stays queued for the next one")

    def _announce(self) -> None:
        """Tell workers a sender of this build waits (a worker of another build logs why it stays idle)."""
        key = broker.WAITING + self.build
        while not self._closed.is_set():
            try:
                self.redis.set(key, str(broker.now()), ex=int(broker.WORKER_TTL_S))
            except Exception as exc:  # noqa: BLE001 - advisory only; grading goes on without it
                log.debug("announce: %s", exc)
            self._closed.wait(broker.HEARTBEAT_S)

    def close(self) -> None:
        self._closed.set()
        self._waiting.join(timeout=2)
        try:
            self._app.close()
        finally:
            self.redis.close()

    def __enter__(self) -> BrokerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
