"""ReplaySandbox: serves recorded SandboxResults from JSON, so the pure stages are tested without an engine."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.sandbox.base import SandboxResult
from grader.sandbox.records import Limits, RunRecord, RunRequest

__all__ = [
    "ReplayCall",
    "ReplaySandbox",
    "load_recording",
    "sandbox_result_from_json",
    "sandbox_result_to_json",
    "save_recording",
]


def sandbox_result_to_json(result: SandboxResult) -> dict[str, Any]:
    """JSON form: runs as RunRecord.to_json, build output base64."""
    build = None
    if result.build is not None:
        build = RunRecord(name="", repeat_index=0, command=[], build=result.build).to_json()["build"]
    return {
        "build": build,
        "runs": {name: [r.to_json() for r in records] for name, records in result.runs.items()},
        "image_id": result.image_id,
        "internal_error": result.internal_error,
    }


def sandbox_result_from_json(data: Mapping[str, Any]) -> SandboxResult:
    """Inverse of sandbox_result_to_json."""
    build = None
    if data.get("build") is not None:
        build = RunRecord.from_json({"name": "", "repeat_index": 0, "command": [], "build": data["build"]}).build
    return SandboxResult(
        build=build,
        runs={name: [RunRecord.from_json(r) for r in records] for name, records in data.get("runs", {}).items()},
        image_id=str(data.get("image_id", "")),
        internal_error=data.get("internal_error"),
    )


def save_recording(result: SandboxResult, path: Path) -> Path:
    """Write a SandboxResult as a JSON recording."""
    path.write_text(json.dumps(sandbox_result_to_json(result), indent=1) + "\n", encoding="utf-8")
    return path


def load_recording(path: Path) -> SandboxResult:
    """Read a JSON recording."""
    return sandbox_result_from_json(json.loads(path.read_text(encoding="utf-8")))


@dataclass(slots=True)
class ReplayCall:
    """What the grader asked of the replay sandbox, for tests to assert on."""

    submission: Path
    requests: list[RunRequest]
    limits: Limits
    build: list[str] | None


@dataclass
class ReplaySandbox:
    """A Sandbox that answers from recordings instead of running anything.

    `recordings` is a SandboxResult (used for every submission), a mapping of submission folder name to
    SandboxResult, or a path: a JSON file (for every submission) or a folder of `<submission name>.json`.
    Each request gets the first `repeat` records recorded under its name; a missing name is an internal error.
    """

    recordings: SandboxResult | Mapping[str, SandboxResult] | Path
    calls: list[ReplayCall] = field(default_factory=list)

    def _recording(self, submission: Path) -> SandboxResult | None:
        source = self.recordings
        if isinstance(source, SandboxResult):
            return source
        if isinstance(source, Path):
            candidate = source / f"{submission.name}.json" if source.is_dir() else source
            return load_recording(candidate) if candidate.is_file() else None
        return source.get(submission.name)

    def run(
        self,
        submission: Path,
        requests: Sequence[RunRequest],
        *,
        limits: Limits,
        build: Sequence[str] | None = None,
    ) -> SandboxResult:
        """Serve the recorded runs for `requests`."""
        self.calls.append(ReplayCall(submission, list(requests), limits, list(build) if build is not None else None))
        recording = self._recording(submission)
        if recording is None:
            return SandboxResult(internal_error=f"no recording for submission {submission.name!r}")
        out = SandboxResult(build=recording.build, image_id=recording.image_id,
                            internal_error=recording.internal_error)
        if recording.build is not None and not recording.build.ok:
            return out
        missing = []
        for request in requests:
            records = recording.runs.get(request.name)
            if records is None:
                missing.append(request.name)
                continue
            out.runs[request.name] = [replace(r, repeat_index=i) for i, r in enumerate(records[: request.repeat])]
        if missing and out.internal_error is None:
            out.internal_error = "no recording for test(s) " + ", ".join(map(repr, missing))
        return out

