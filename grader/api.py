"""The library entry points the CLI calls: one function per command, keyword-only options."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import UsageError
from grader.result import Result
from grader.sandbox.records import Limits, RunRequest

__all__ = ["grade_path", "trace_command", "TraceReport", "default_sandbox"]


def default_sandbox() -> Any:
    """The real Docker sandbox (imported here so pure commands never touch Docker)."""
    from grader.sandbox.docker_sandbox import DockerSandbox

    return DockerSandbox()


def grade_path(assignment: Path, submission: Path, *, repeat: int | None = None,
               sandbox: Any | None = None, label: str | None = None, variant: str | None = None) -> Result:
    """Grade one submission (folder, archive or lone file) against an assignment file.

    variant: which of the assignment's variants grades it (default: the one whose files it has)."""
    from grader.grading import grade
    from grader.spec.loader import load_assignment
    from grader.submission import intake, is_archive, lone_file_name

    spec = load_assignment(assignment)
    submission = Path(submission)
    if not submission.exists():
        raise UsageError(f"submission {str(submission)!r} does not exist")
    from grader.sandbox.workdirs import scratch

    with scratch("intake-") as tmp:
        lone = lone_file_name(spec, submission, variant=variant) if submission.is_file() else None
        if lone is not None and not is_archive(submission):
            # A lone file stands for the one file the assignment (or its variant) asks for, whatever its name.
            folder = Path(tmp) / "lone" / submission.stem
            folder.mkdir(parents=True)
            shutil.copyfile(submission, folder / lone)
            submission = folder
        taken = intake(submission, Path(tmp) / "taken")
        result = grade(spec, taken.path, sandbox or default_sandbox(), repeat=repeat,
                       label=label or taken.student, variant=variant)
        result.submission_hash = taken.content_hash
        return result


@dataclass(slots=True)
class TraceReport:
    """What `grader trace` shows: the run record and the model rebuilt from it."""

    record: Any
    execution: Any
    text: str

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = self.execution.to_json()
        data["run"] = {k: v for k, v in self.record.to_json().items() if k not in ("trace",)}
        return data


def trace_command(submission: Path, command: Sequence[str], *, timeout_ms: int = 10_000,
                  stdout_mode: str = "pipe", sandbox: Any | None = None,
                  build: Sequence[str] | None = None) -> TraceReport:
    """Run one command in the sandbox and rebuild what it did."""
    from grader.trace import describe

    if not command:
        raise UsageError("give the command to run after `--`, e.g. `grader trace sub -- python3 hello.py`")
    submission = Path(submission)
    if not submission.is_dir():
        raise UsageError(f"submission folder {str(submission)!r} does not exist")
    request = RunRequest(name="trace", command=tuple(command), stdout_mode=stdout_mode)  # type: ignore[arg-type]
    result = (sandbox or default_sandbox()).run(submission, [request], limits=Limits(timeout_ms=timeout_ms),
                                                build=build)
    if result.build is not None and not result.build.ok:
        raise UsageError("the build failed:\n" + result.build.output.decode("utf-8", "replace"))
    if not result.runs.get("trace"):
        raise UsageError(f"the sandbox produced no run: {result.internal_error}")
    record = result.runs["trace"][0]
    if record.start_failed:
        raise UsageError(record.start_failed, hint="name a program that exists in the sandbox image, e.g. python3")
    from grader.grading import read_run  # the one reader of a run, as grading uses it

    evidence = read_run(record)
    execution, lines = evidence.execution, evidence.stdout
    header = [
        f"command: {' '.join(command)}",
        f"exit: {record.exit_code if record.signal is None else record.signal}"
        f"   wall: {record.wall_ms} ms   stdout: {len(lines)} lines"
        + ("   TIMED OUT" if record.timed_out else "")
        + ("   OUT OF MEMORY" if record.oom_killed else "")
        + ("   PIDS LIMIT HIT" if record.pids_limit_hit else "")
        + ("   OUTPUT LIMIT HIT" if record.output_limit_hit else ""),
    ]
    return TraceReport(record=record, execution=execution, text="\n".join(header) + "\n" + describe(execution, record))


def write_json(path: Path, data: Any) -> None:
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
