"""Choosing the sandbox backend: `docker`, `local`, or `auto` (Docker when an engine answers,
`local` when this process runs inside a container, an error otherwise)."""

from __future__ import annotations

from typing import Any, Literal

from grader.errors import EngineError, UsageError

__all__ = ["BACKENDS", "FORCE_FLAG", "Backend", "make_sandbox"]

Backend = Literal["auto", "docker", "local"]
BACKENDS: tuple[str, ...] = ("auto", "docker", "local")
# The option that lets `local` run outside a container: its name says what it does.
FORCE_FLAG = "--i-understand-this-runs-untrusted-code-here"


def _docker_engine() -> tuple[Any | None, str]:
    """A connected Engine, or None and why not (the SDK missing counts as no engine)."""
    try:
        from grader.sandbox.engine import Engine
    except ImportError as exc:
        return None, f"the Docker SDK is not installed ({exc.name})"
    try:
        return Engine(timeout_s=10), ""
    except EngineError as exc:
        return None, exc.message


def make_sandbox(choice: str = "auto", *, force_local: bool = False) -> Any:
    """The sandbox for `choice`. `force_local` lets `local` run outside a container."""
    if choice not in BACKENDS:
        raise UsageError(f"unknown sandbox {choice!r}: choose one of {', '.join(BACKENDS)}")
    if choice == "docker":
        from grader.sandbox.docker_sandbox import DockerSandbox

        return DockerSandbox()
    if choice == "local":
        from grader.sandbox.local import LocalSandbox

        return LocalSandbox(force=force_local)
    engine, why = _docker_engine()
    if engine is not None:
        from grader.sandbox.docker_sandbox import DockerSandbox

        return DockerSandbox(engine=engine)
    from grader.sandbox.local import LocalSandbox, container_evidence

    if container_evidence() is not None or force_local:
        return LocalSandbox(force=force_local)
    raise EngineError(
        f"no sandbox available: {why}, and this is not a container where the local sandbox could run",
        hint=f"start Docker (`grader setup`), or run inside a disposable container, or pass --sandbox local "
             f"{FORCE_FLAG} to run students' programs on this machine itself",
    )
