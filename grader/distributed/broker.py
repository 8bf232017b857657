"""What senders and workers share through Redis besides Celery's own queue: content-addressed blobs, the
replies and the result cache, delivery counts and the workers' health. One module so both sides agree on
every key.

    grader:blob:<sha256>          a packed folder (jobs.pack_folder), SET NX with a TTL: uploaded once
    grader:done:<job_id>          the worker's reply (a list the sender BLPOPs), expiring
    grader:result:<result_key>    the reply kept for a job asked again (redelivered, or a batch re-run)
    grader:tries:<job_id>         deliveries of one job (INCR when a worker starts it)
    grader:worker:<name>          a live worker's health (hash, TTL renewed while it runs)
    grader:waiting:<build>        a sender of that build is waiting (TTL): workers of other builds say why
                                  they leave its jobs alone

Nothing here is secret to a student and nothing a student's program writes reaches Redis except inside a
result the worker built from the trace. The broker URL may carry a password (redis://:PASSWORD@host) or
TLS settings (rediss://...?ssl_ca_certs=...): it is never logged with its password (`redacted`).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from grader.errors import InfrastructureError, UsageError

__all__ = ["BLOB_TTL_S", "BrokerError", "DONE_TTL_S", "HEARTBEAT_S", "MAX_TRIES", "RESULT_TTL_S", "WORKER_TTL_S",
           "alive_workers", "connect", "queue_name", "redacted"]

BLOB_TTL_S = 7 * 24 * 3600        # a week: a term's regrade re-uploads what expired
RESULT_TTL_S = 7 * 24 * 3600
DONE_TTL_S = 24 * 3600            # a reply nobody read (its sender died) goes away
HEARTBEAT_S = 5.0
WORKER_TTL_S = 20                 # a worker silent this long is gone
MAX_TRIES = 3                     # a job delivered this many times without a reply ends as an error

BLOB = "grader:blob:"
DONE = "grader:done:"
RESULT = "grader:result:"
TRIES = "grader:tries:"
WORKER = "grader:worker:"
WAITING = "grader:waiting:"


class BrokerError(InfrastructureError):
    """The broker cannot be reached, refused the password, or answered out of protocol."""


def redacted(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def queue_name(build: str) -> str:
    """Jobs of one grader build go to their own queue: a worker of another build never takes them."""
    return f"grader.{build}"


def connect(url: str) -> Any:
    """A redis-py client for the broker URL (redis://, rediss:// for TLS, unix://), checked with PING.

    UsageError for a URL that is not Redis; BrokerError (exit 4) when it does not answer or refuses."""
    import redis

    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise UsageError(f"--broker {redacted(url)!r}: expected redis://[:PASSWORD@]HOST[:PORT]/DB "
                         "(or rediss:// for TLS)")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=60, health_check_interval=30)
        client.ping()
    except redis.AuthenticationError:
        if urlsplit(url).password is None:
            raise BrokerError(f"the broker at {redacted(url)} needs a password",
                              hint="give it in the URL: redis://:PASSWORD@HOST:PORT/0 (or in GRADER_BROKER)") from None
        raise BrokerError(f"the broker at {redacted(url)} refused the password",
                          hint="check the password in the URL (redis://:PASSWORD@HOST:PORT/0) or in GRADER_BROKER") from None
    except redis.ResponseError as exc:
        if "NOAUTH" in str(exc) or "WRONGPASS" in str(exc):
            raise BrokerError(f"the broker at {redacted(url)} needs a password",
                              hint="give it in the URL: redis://:PASSWORD@HOST:PORT/0") from None
        raise BrokerError(f"the broker at {redacted(url)} answered: {exc}") from None
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        said, password = str(exc), urlsplit(url).password
        if password:
            said = said.replace(password, "***")
        if "CERTIFICATE" in said.upper() or "SSL" in said.upper():
            raise BrokerError(f"the TLS connection to the broker at {redacted(url)} failed: {said}",
                              hint="name the CA that signed the broker's certificate: "
                                   "rediss://...?ssl_cert_reqs=required&ssl_ca_certs=/path/ca.pem") from None
        raise BrokerError(f"the broker at {redacted(url)} is not answering: {said}",
                          hint="start redis-server there, or check the host, port and firewall") from None
    return client


def alive_workers(client: Any) -> list[dict[str, Any]]:
    """Every worker whose heartbeat has not expired, oldest first: name, host, pid, build, version,
    backend, image, concurrency, jobs_done, started, last_seen (seconds since the epoch)."""
    workers = []
    for key in client.scan_iter(match=WORKER + "*", count=200):
        fields = {k.decode(): v.decode("utf-8", "replace") for k, v in client.hgetall(key).items()}
        if not fields:
            continue
        for name in ("pid", "concurrency", "jobs_done", "refused"):
            fields[name] = int(fields.get(name) or 0)
        for name in ("started", "last_seen"):
            fields[name] = float(fields.get(name) or 0)
        workers.append(fields)
    return sorted(workers, key=lambda w: (w["started"], w.get("name", "")))


def reply(client: Any, job_id: str, payload: dict[str, Any] | str | bytes) -> None:
    """Give a job's reply to its sender (it BLPOPs grader:done:<job_id>): a payload, or one already
    encoded as JSON (a result is encoded once, for the store and the reply alike)."""
    key = DONE + job_id
    pipe = client.pipeline()
    pipe.rpush(key, payload if isinstance(payload, (str, bytes)) else json.dumps(payload, ensure_ascii=False))
    pipe.expire(key, DONE_TTL_S)
    pipe.execute()


def now() -> float:
    return time.time()
