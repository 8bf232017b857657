"""`grader worker`: a Celery worker (prefork pool, Redis broker) that grades jobs with this machine's sandbox.

Exactly once, as the sender sees it:
  - a job is acknowledged only after its reply is stored (task_acks_late); a pool child that dies mid-job
    (killed, out of memory) has its job put back at once (task_reject_on_worker_lost), and a whole worker
    killed with kill -9 has its unacknowledged jobs put back by the broker after the visibility timeout;
  - a reply is kept under the job's result key (grader:result:...), so a job delivered again, or asked
    again by a re-run, returns the stored result instead of grading twice;
  - every delivery counts (grader:tries:<job>): a job that has stopped workers MAX_TRIES times ends as an
    error reply, not a loop.
Builds: a worker takes only its own build's queue (broker.queue_name) and refuses a job of another build
that reaches it anyway, with one log line; it also says once, in its log, when senders of another build
are waiting, so an idle worker of the wrong version is never a mystery.

Each pool child makes its own sandbox and Redis connection on its first job (nothing opened before the
fork is shared). Blobs are fetched once per worker machine and unpacked into its cache folder by hash; a
job grades a fresh copy of the submission.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from grader import __version__
from grader.distributed import broker
from grader.distributed.jobs import BlobError, Job, build_id, unpack_blob
from grader.errors import GraderError

__all__ = ["TASK", "make_app", "run_job", "run_worker"]

log = logging.getLogger("grader.worker")

TASK = "grader.grade"
# For the worker's own tests only: a job with this label kills the pool child that takes it (a poisoned job).
POISON_ENV = "GRADER_TEST_POISON"


def make_app(broker_url: str, *, visibility_timeout_s: int = 3600) -> Any:
    """The Celery app both sides use: JSON only, no result backend (replies go through broker.reply)."""
    from celery import Celery

    app = Celery("grader", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json", accept_content=["json"], task_ignore_result=True, result_backend=None,
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True, worker_hijack_root_logger=False, worker_redirect_stdouts=False,
        worker_send_task_events=False, task_send_sent_event=False,
        # The broker puts back a job whose worker vanished once it has been out this long; a job must
        # finish well within it (a grading is bounded by the assignment's limits).
        broker_transport_options={"visibility_timeout": visibility_timeout_s,
                                  "unacked_restore_interval": max(1, min(10, visibility_timeout_s // 4)),
                                  "unacked_restore_throttle": 1},
        # A pool child is replaced after this many jobs (a slow leak in a long term cannot grow forever),
        # and one stuck in a job (an engine that stopped answering) is killed before the broker would give
        # the job to another worker anyway; the job is then put back and counted as a try.
        worker_max_tasks_per_child=200,
        task_time_limit=visibility_timeout_s - 60 if visibility_timeout_s >= 300 else None,
    )
    app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True)(_task)
    return app


# ----------------------------------------------------------------------------- in a pool child

class _Child:
    """What one pool child opened for itself (made after the fork, on its first job)."""

    pid = 0
    redis: Any = None
    sandbox: Any = None


_CHILD = _Child()


def _child_state() -> _Child:
    if _CHILD.pid != os.getpid():
        from grader.sandbox.select import make_sandbox

        _CHILD.redis = broker.connect(os.environ["GRADER_WORKER_BROKER"])
        _CHILD.sandbox = make_sandbox(os.environ.get("GRADER_WORKER_SANDBOX", "docker"),
                                      force_local=os.environ.get("GRADER_WORKER_FORCE_LOCAL") == "1")
        _CHILD.pid = os.getpid()
    return _CHILD


def _task(self: Any, job_data: Any) -> None:
    state = _child_state()
    run_job(job_data, redis=state.redis, sandbox=state.sandbox, build=build_id(),
            cache_dir=Path(os.environ["GRADER_WORKER_CACHE"]), worker=os.environ.get("GRADER_WORKER_NAME", ""))


def _error(job: Job | None, message: str, *, status: str = "error") -> dict[str, Any]:
    return {"status": status, "message": message, "job_id": job.job_id if job else ""}


def run_job(job_data: Any, *, redis: Any, sandbox: Any, build: str, cache_dir: Path, worker: str) -> None:
    """Grade one job and reply; never raises for a job's fault (its reply says what went wrong)."""
    try:
        job = Job.from_dict(job_data)
    except ValueError as exc:
        job_id = job_data.get("job_id") if isinstance(job_data, dict) else None
        log.warning("dropped a malformed job %s: %s", job_id or "(no id)", exc)
        if isinstance(job_id, str) and job_id:
            broker.reply(redis, job_id, {"status": "error", "message": f"malformed job: {exc}", "job_id": job_id})
        return
    worker_key = broker.WORKER + worker if worker else ""
    if job.build != build:
        log.warning("refused job %s (%s): it is for grader build %s and this worker is %s; a worker of that "
                    "build must grade it", job.job_id, job.label, job.build, build)
        if worker_key:
            redis.hincrby(worker_key, "refused", 1)
        broker.reply(redis, job.job_id, _error(job, f"a worker of grader build {build} refused it: the job is for "
                                               f"build {job.build}", status="refused"))
        return
    cached = redis.get(broker.RESULT + job.result_key())
    if cached is not None:
        log.info("job %s (%s): already graded, the stored result is sent again", job.job_id, job.label)
        broker.reply(redis, job.job_id, cached)
        return
    tries_key = broker.TRIES + job.job_id
    tries = int(redis.incr(tries_key))
    redis.expire(tries_key, broker.DONE_TTL_S)
    if tries > broker.MAX_TRIES:
        log.error("job %s (%s): delivered %d times, each time its worker process stopped; it ends as an error",
                  job.job_id, job.label, tries)
        broker.reply(redis, job.job_id, _error(job, f"the grading stopped its worker process {tries - 1} times "
                                               "(killed or out of memory); it was not graded"))
        return
    if os.environ.get(POISON_ENV) and job.label == os.environ[POISON_ENV]:
        os.kill(os.getpid(), signal.SIGKILL)
    started = time.monotonic()
    try:
        payload = _grade(job, redis=redis, sandbox=sandbox, cache_dir=cache_dir)
    except GraderError as exc:
        log.error("job %s (%s): %s", job.job_id, job.label, exc.message)
        broker.reply(redis, job.job_id, _error(job, exc.message))
        return
    except Exception as exc:  # noqa: BLE001 - the grader's own bug: the sender must hear of it, not wait forever
        log.exception("job %s (%s): the worker failed", job.job_id, job.label)
        broker.reply(redis, job.job_id, _error(job, f"the worker failed: {type(exc).__name__}: {exc}"))
        return
    payload.update(worker=worker, build=build, seconds=round(time.monotonic() - started, 3))
    text = json.dumps(payload, ensure_ascii=False)
    pipe = redis.pipeline()
    pipe.set(broker.RESULT + job.result_key(), text, ex=broker.RESULT_TTL_S)
    if worker_key:
        pipe.hincrby(worker_key, "jobs_done", 1)
    pipe.execute()
    broker.reply(redis, job.job_id, text)
    log.info("job %s (%s): graded in %.1f s", job.job_id, job.label, payload["seconds"])


def _grade(job: Job, *, redis: Any, sandbox: Any, cache_dir: Path) -> dict[str, Any]:
    from grader.batch.store import result_payload
    from grader.grading import grade
    from grader.spec.loader import load_assignment

    assignment_dir = _fetch(redis, job.assignment_blob, cache_dir)
    submission_dir = _fetch(redis, job.submission_blob, cache_dir)
    spec = load_assignment(assignment_dir / job.assignment_file)
    with tempfile.TemporaryDirectory(prefix="grader-job-") as tmp:
        folder = Path(tmp) / "submission"
        shutil.copytree(submission_dir, folder)
        result = grade(spec, folder, sandbox, repeat=job.repeat, label=job.label, variant=job.variant)
    return {"status": "graded", "job_id": job.job_id, "result": json.loads(result_payload(result))}


def _fetch(redis: Any, sha: str, cache_dir: Path) -> Path:
    """The folder packed as blob `sha`, unpacked once into the cache (made whole, then renamed into place)."""
    dest = cache_dir / sha
    if dest.is_dir():
        return dest
    data = redis.get(broker.BLOB + sha)
    if data is None:
        raise BlobError(f"the archive {sha[:12]} is no longer on the broker (expired); send the job again")
    staging = Path(tempfile.mkdtemp(prefix=f".{sha[:12]}-", dir=cache_dir))
    try:
        unpack_blob(bytes(data), sha, staging / "tree")
        try:
            (staging / "tree").rename(dest)
        except OSError:
            if not dest.is_dir():      # another child renamed the same blob into place first: fine
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


# ----------------------------------------------------------------------------- the worker's main process

def _heartbeat(url: str, key: str, fields: dict[str, Any], stop: threading.Event, build: str) -> None:
    """Keep this worker's health hash alive; say once per build when senders of another build wait."""
    told: set[str] = set()
    redis = None
    while not stop.is_set():
        try:
            if redis is None:
                redis = broker.connect(url)
                redis.hset(key, mapping={k: str(v) for k, v in fields.items()})
            pipe = redis.pipeline()
            pipe.hset(key, "last_seen", str(broker.now()))
            pipe.expire(key, broker.WORKER_TTL_S)
            pipe.execute()
            for waiting in redis.scan_iter(match=broker.WAITING + "*", count=100):
                other = waiting.decode()[len(broker.WAITING):]
                if other != build and other not in told:
                    told.add(other)
                    log.warning("refusing the jobs of grader build %s: this worker is build %s (grader %s), and "
                                "a class is never graded by two versions; they wait for a worker of that build",
                                other, build, __version__)
        except GraderError as exc:
            log.warning("heartbeat: %s", exc.message)
            redis = None
        except Exception as exc:  # noqa: BLE001 - a broker hiccup must not stop the worker; the next beat retries
            log.warning("heartbeat: %s: %s", type(exc).__name__, exc)
            redis = None
        stop.wait(broker.HEARTBEAT_S)
    if redis is not None:
        try:
            redis.delete(key)
        except Exception:  # noqa: BLE001 - the key expires anyway
            pass


def run_worker(url: str, *, concurrency: int, sandbox_choice: str = "docker", force_local: bool = False,
               cache_dir: Path | None = None, visibility_timeout_s: int = 3600, loglevel: str = "INFO") -> int:
    """Run until stopped (SIGTERM: warm shutdown, running jobs finish). Checks the broker and the sandbox
    first, so a worker that cannot grade says why and exits 4 instead of taking jobs."""
    from grader.sandbox.select import make_sandbox

    redis = broker.connect(url)
    sandbox = make_sandbox(sandbox_choice, force_local=force_local)     # fails here if it cannot grade
    image = ""
    if getattr(sandbox, "engine", None) is not None and getattr(sandbox, "image", None):
        image = sandbox.engine.image_id(sandbox.image) or ""
    close = getattr(getattr(sandbox, "engine", None), "close", None)
    if callable(close):
        close()
    del sandbox
    build = build_id()
    name = f"{socket.gethostname()}:{os.getpid()}"
    own_cache = cache_dir is None
    cache = Path(tempfile.mkdtemp(prefix="grader-worker-cache-")) if cache_dir is None else Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.update(GRADER_WORKER_BROKER=url, GRADER_WORKER_SANDBOX=sandbox_choice,
                      GRADER_WORKER_FORCE_LOCAL="1" if force_local else "0", GRADER_WORKER_CACHE=str(cache),
                      GRADER_WORKER_NAME=name)
    fields = {"name": name, "host": socket.gethostname(), "pid": os.getpid(), "build": build, "version": __version__,
              "backend": sandbox_choice, "image": image, "concurrency": concurrency, "jobs_done": 0, "refused": 0,
              "started": broker.now(), "last_seen": broker.now()}
    redis.delete(broker.WORKER + name)
    redis.close()
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(url, broker.WORKER + name, fields, stop, build),
                            name="grader-heartbeat", daemon=True)
    beat.start()
    log.info("grader worker %s: build %s, %s sandbox%s, %d at once, queue %s, broker %s", name, build,
             sandbox_choice, f" (image {image[:19]})" if image else "", concurrency, broker.queue_name(build),
             broker.redacted(url))
    app = make_app(url, visibility_timeout_s=visibility_timeout_s)
    # Celery warns when its worker runs as root; a grading worker drives the Docker engine (root's socket)
    # and runs no student code outside the sandbox, which is what that warning is about.
    warnings.filterwarnings("ignore", message="You're running the worker with superuser privileges")
    argv = ["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", "--pool=prefork",
            "-Q", broker.queue_name(build), "-n", f"grader-{os.getpid()}@{socket.gethostname()}",
            "--without-gossip", "--without-mingle", "--without-heartbeat"]
    try:
        app.worker_main(argv=argv)
    finally:
        stop.set()
        beat.join(timeout=broker.HEARTBEAT_S + 2)
        if own_cache:
            shutil.rmtree(cache, ignore_errors=True)
    return 0
