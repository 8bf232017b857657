"""The sandbox interface: what the grader asks of a sandbox, real or replayed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from grader.sandbox.records import BuildRecord, Limits, RunRecord, RunRequest

__all__ = ["Sandbox", "SandboxResult"]


@dataclass(slots=True)
class SandboxResult:
    """Everything one submission's sandbox session produced."""

    build: BuildRecord | None = None
    runs: dict[str, list[RunRecord]] = field(default_factory=dict)  # request name -> one record per repeat
    image_id: str = ""
    internal_error: str | None = None  # the sandbox itself failed (engine died, ...); runs may be partial
    # Each limit and how it was really enforced, where a backend cannot enforce all of them (the local
    # backend: {"memory": "... RLIMIT_DATA ...", "network": "not isolated: ..."}); empty = all, as Docker.
    limits_in_force: dict[str, str] = field(default_factory=dict)


class Sandbox(Protocol):
    """Runs a submission's commands in isolation and reports what happened."""

    def run(
        self,
        submission: Path,
        requests: Sequence[RunRequest],
        *,
        limits: Limits,
        build: Sequence[str] | None = None,
    ) -> SandboxResult:
        """Copy `submission` in, run `build` once (if any), then each request `repeat` times.

        No process, file or IPC object of one run is visible to the next.
        """
        ...
