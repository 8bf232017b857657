"""Shared fixtures: the real sandbox (never mocked, never skipped) and leftover checks."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def docker_sandbox():
    """The real DockerSandbox; fails (does not skip) when the engine or image is missing."""
    from grader.errors import GraderError
    from grader.sandbox.docker_sandbox import DockerSandbox

    try:
        return DockerSandbox()
    except GraderError as exc:
        pytest.fail(f"the sandbox tests need the real engine and image: {exc} (run `grader setup`)")


@pytest.fixture(scope="session")
def engine(docker_sandbox):
    return docker_sandbox.engine
