"""The sandbox interface: what the grader asks of a sandbox, real or replayed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from grader.errors import UsageError
from grader.sandbox.records import BuildRecord, Limits, RunRecord, RunRequest

__all__ = ["Sandbox", "SandboxResult", "Session", "run_in_sessions"]


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


# One session (a container, or the local harness once): the build, then these requests' repeats.
# Returns what it produced and, when a wipe between two runs did not finish, why (else None).
Session = Callable[[Path, Sequence[RunRequest], Limits, Sequence[str] | None], tuple[SandboxResult, str | None]]


def run_in_sessions(session: Session, submission: Path, requests: Sequence[RunRequest], *, limits: Limits,
                    build: Sequence[str] | None) -> SandboxResult:
    """Sandbox.run as both backends do it: one session for the requests with isolation "submission", a
    session per repeat for those with isolation "run", and after a wipe that did not finish a session per
    repeat for every run still to come (the run it would have fed failed loudly: its record says why)."""
    submission = Path(submission)
    if not submission.is_dir():
        raise UsageError(f"submission folder {str(submission)!r} does not exist")
    shared = [r for r in requests if r.isolation == "submission"]
    result, unclean = session(submission, shared, limits, build) if shared or not requests else (SandboxResult(), None)
    if unclean:
        for request in shared:
            have = {r.repeat_index for r in result.runs.get(request.name, [])}
            missing = [i for i in range(request.repeat) if i not in have]
            result.runs[request.name] = [*result.runs.get(request.name, []),
                                         *_fresh(session, submission, request, missing, limits, build, result)]
    for request in requests:
        if request.isolation == "run":
            result.runs[request.name] = _fresh(session, submission, request, range(request.repeat), limits, build,
                                               result)
    result.runs = {r.name: sorted(result.runs.get(r.name, []), key=lambda rec: rec.repeat_index) for r in requests}
    return result


def _fresh(session: Session, submission: Path, request: RunRequest, indices: Iterable[int], limits: Limits,
           build: Sequence[str] | None, result: SandboxResult) -> list[RunRecord]:
    """Each of these repeats of `request` in a session of its own."""
    records: list[RunRecord] = []
    for index in indices:
        single, unclean = session(submission, [replace(request, repeat=1, perturb_first=index)], limits, build)
        result.build = result.build or single.build
        result.image_id = result.image_id or single.image_id
        result.internal_error = result.internal_error or single.internal_error
        got = single.runs.get(request.name, [])
        if not got and unclean:
            got = [RunRecord(name=request.name, repeat_index=0, command=list(request.command),
                             internal_error=unclean, image_id=single.image_id or result.image_id, limits=limits)]
        for record in got:
            record.repeat_index = index
            records.append(record)
    return records
