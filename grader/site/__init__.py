"""`grader serve`: a course's own submission site (Django), with an embedded queue and in-process workers.

    start(COURSE_DIR)  -> settings, database (made on first start), staff accounts, recovered queue
    serve(COURSE_DIR)  -> start, then workers and the HTTP server until interrupted
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import UsageError

__all__ = ["Started", "allowed_hosts", "demo_course", "serve", "start"]


@dataclass(slots=True)
class Started:
    """What start() did: the runtime, whether the database was new, and accounts made on the way."""

    runtime: Any
    created_database: bool
    requeued: int
    new_accounts: list[Any] = field(default_factory=list)


def allowed_hosts(host: str) -> list[str]:
    """The Host headers Django accepts: the loopback names, the address listened on, and any name when that
    address is every interface (0.0.0.0 or ::), since students then reach it by a name we cannot know."""
    names = ["127.0.0.1", "localhost", "[::1]", "testserver"]
    if host in ("0.0.0.0", "::", ""):
        return ["*"]
    return names if host in names else [*names, host.strip("[]") if ":" not in host else f"[{host}]"]


def start(course_dir: Path, *, db_url: str | None = None, roster: Path | None = None,
          roster_columns: dict[str, str] | None = None, host: str = "127.0.0.1") -> Started:
    """Configure Django for the course, migrate, make missing staff (and roster) accounts, recover the queue."""
    try:
        import django  # noqa: F401 - only to say plainly what is missing
    except ImportError:
        raise UsageError("grader serve needs Django, which is not installed",
                         hint="pip install 'os-trace-grader[site]'") from None
    from grader.site.course import load_course
    from grader.site.settings import configure

    course = load_course(course_dir)
    site = configure(course.folder, db_url=db_url, allowed_hosts=allowed_hosts(host))
    from django.core.management import call_command
    from django.db import connection

    created = "django_migrations" not in connection.introspection.table_names()   # SQLite or PostgreSQL

    call_command("migrate", verbosity=0, interactive=False)
    from grader.site.accounts import import_roster, sync_staff
    from grader.site.queue import DatabaseQueue
    from grader.site.runtime import Runtime, install

    runtime = install(Runtime(course=course, site_dir=site, queue=DatabaseQueue()))
    made = sync_staff(course)
    for path in [p for p in (course.roster_path, roster) if p is not None]:
        made += import_roster(path, roster_columns)
    requeued = runtime.queue.recover()
    return Started(runtime=runtime, created_database=created, requeued=requeued, new_accounts=made)


def make_grade_one(runtime: Any, sandbox_choice: str | None = None, force_local: bool = False,
                   client: Any | None = None) -> Callable[[int, str], None]:
    """The function each worker calls per claimed submission (client: a BrokerClient grades it instead)."""
    from grader.sandbox.select import make_sandbox
    from grader.site.worker import grade_submission

    remote = None
    if client is not None:
        def remote(spec: Any, folder: Path, label: str) -> Any:
            return client.grade(spec._source, folder, label=label)

    def grade_one(submission_id: int, token: str) -> None:
        grade_submission(submission_id, token, course=runtime.course, site_dir=runtime.site_dir,
                         make_sandbox=lambda choice: make_sandbox(sandbox_choice or choice or "auto",
                                                                  force_local=force_local), remote=remote)

    return grade_one


def demo_course(folder: Path) -> Path:
    """An example course in `folder` from the assignment library (fork-hello, threads-vs-processes)."""
    library = Path(__file__).resolve().parents[2] / "assignments"
    if not (library / "fork-hello" / "assignment.yaml").is_file():
        raise UsageError(f"the assignment library is not at {library}: --demo runs from a clone of the repository")
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("fork-hello", "threads-vs-processes"):
        if (library / name).is_dir():   # copied afresh at each start: the demo follows the library
            shutil.rmtree(folder / name, ignore_errors=True)
            shutil.copytree(library / name, folder / name)
    course_file = folder / "course.yaml"
    if not course_file.exists():
        course_file.write_text(
            "title: Demo course (grader serve --demo)\n"
            "languages: [en, ko]\n"
            "score: best\n"
            "rate_limit: {submissions: 20, minutes: 10}\n"
            "assignments:\n"
            "  - path: fork-hello\n"
            "  - path: threads-vs-processes\n", encoding="utf-8")
    return folder


def _say(line: str = "") -> None:
    print(line, flush=True)


def serve(course_dir: Path | None, *, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None,
          db_url: str | None = None, roster: Path | None = None, roster_columns: dict[str, str] | None = None,
          demo: bool = False, sandbox_choice: str | None = None, force_local: bool = False,
          broker_url: str | None = None) -> None:
    """Run the site until interrupted: workers grade in this process (or, with broker_url, hand each
    submission to the broker's `grader worker`s and store what comes back), the HTTP server answers."""
    if demo:
        course_dir = demo_course(Path(course_dir) if course_dir else Path.home() / ".cache" / "grader-demo-course")
    if course_dir is None:
        raise UsageError("give the course folder: grader serve COURSE_DIR (or grader serve --demo)")
    started = start(course_dir, db_url=db_url, roster=roster, roster_columns=roster_columns, host=host)
    runtime = started.runtime
    shown = socket.gethostname() if host in ("0.0.0.0", "::") else host   # a link others can open
    base = f"http://{shown if ':' not in shown else f'[{shown}]'}:{port}"
    _say(f"course: {runtime.course.title} ({len(runtime.course.specs)} assignments) in {runtime.course.folder}")
    if started.created_database:
        from django.db import connection

        settings = connection.settings_dict
        _say(f"made the database {settings['NAME']}" if connection.vendor == "sqlite"
             else f"made the site's tables in the PostgreSQL database {settings['NAME']} on {settings['HOST']}")
        _say("add users: list staff in course.yaml (staff: [{username: ..., role: ta|instructor}]) and give "
             "the class list with --roster roster.csv (any LMS export); each new account gets a one-time "
             "invite link, printed here")
    if started.requeued:
        _say(f"requeued {started.requeued} submissions that were being graded when the server stopped")
    if demo:
        from grader.site.accounts import make_user

        for username, role in (("demo", "student"), ("demo-ta", "ta")):
            password = secrets.token_urlsafe(9)
            user, _ = make_user(username, role, name=username)
            user.set_password(password)
            user.save()
            _say(f"demo account: {username} ({role}) password {password}")
    for account in started.new_accounts:
        _say(f"new {account.role} {account.username}: {base}{account.invite}")
    from grader.site.queue import WorkerPool

    client = None
    if broker_url:
        from grader.distributed.broker import redacted
        from grader.distributed.client import BrokerClient

        client = BrokerClient(broker_url)
        remote = client.require_workers()       # no worker of this build: stop now, with the reason
        count = workers or 2 * max(1, client.capacity())
        _say(f"grading on {len(remote)} worker(s) through the broker {redacted(broker_url)}, "
             f"{count} submission(s) in flight")
    else:
        count = workers or os.cpu_count() or 1
    pool = WorkerPool(runtime.queue, make_grade_one(runtime, sandbox_choice, force_local, client), count)
    pool.start()
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    try:   # "serving" once the port is bound, so the line is never said of a port that was taken
        run(host, port, get_wsgi_application(), ipv6=":" in host, threading=True,
            on_bind=lambda _port: _say(f"grading with {count} workers; serving {base}/ (Ctrl-C stops)"))
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="choose another --port, or stop what uses this one") from None
    except KeyboardInterrupt:
        _say("stopping")
    finally:
        pool.stop()
        if client is not None:
            client.close()
        sys.stdout.flush()
