"""The running site's parts that are not Django settings: the course, its folder and the queue."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.site.course import Course
from grader.site.queue import DatabaseQueue

__all__ = ["Runtime", "current", "install"]


@dataclass(slots=True)
class Runtime:
    course: Course
    site_dir: Path
    queue: DatabaseQueue


_current: Runtime | None = None


def install(runtime: Runtime) -> Runtime:
    global _current  # noqa: PLW0603 - one course per process, set once at start
    _current = runtime
    return runtime


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("the site was not started: call grader.site.start() first")
    return _current
