"""The grader's exceptions, one tree; each error the CLI shows carries its exit code.

    GraderError                  exit 2 unless said otherwise
    ├── UsageError               bad arguments or paths given to a command
    ├── SpecError                an assignment file is wrong (file, line, field)
    ├── SubmissionError          exit 3: a submission cannot be taken in (bad archive, ...)
    └── InfrastructureError      exit 4: the grader's own machinery failed
        ├── EngineError          the Docker engine is missing or not answering
        └── ImageError           the sandbox image is missing or failed to build

The exit codes of every command (EXIT_*, explained to users by EXIT_CODES_HELP):

    0  every submission was graded at full marks (other commands: done, nothing wrong)
    1  graded, and some submission is below full marks (validate: a solution not judged as it
       declares; trace: the run was stopped at a limit; doctor: something is missing)
    2  usage or assignment error: the command line, a path or an assignment file must be fixed
    3  some submission was refused at intake (corrupt or unsafe archive) or its grading failed
    4  the grader's machinery failed (Docker engine, sandbox image, a bug in the grader): not the
       submission's fault; grading it again after fixing the machine may succeed
  130  interrupted (Ctrl-C)

When several apply, the highest of 1, 2, 3 wins: a batch with one refused archive exits 3 even if
everyone else is below full marks. 4 is kept apart from 2 so that a CI job can retry on 4 only.

A student's failure (crash, timeout, compile error) is never an exception: it is
a result. These are for assignment authors, TAs and infrastructure.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EXIT_BELOW_FULL",
    "EXIT_CODES_HELP",
    "EXIT_FULL_MARKS",
    "EXIT_INFRASTRUCTURE",
    "EXIT_INTERRUPTED",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "GraderError",
    "UsageError",
    "SpecError",
    "SubmissionError",
    "InfrastructureError",
    "EngineError",
    "ImageError",
]

EXIT_FULL_MARKS = 0
EXIT_BELOW_FULL = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_INFRASTRUCTURE = 4
EXIT_INTERRUPTED = 130

# The --help epilog of every command (click keeps a paragraph that starts with \b as it is written).
EXIT_CODES_HELP = """\b
Exit codes:
  0  every submission graded at full marks (or: done, nothing wrong)
  1  graded, some submission below full marks
  2  usage or assignment error (fix the command line or the assignment)
  3  some submission refused at intake, or its grading failed
  4  the grader's machinery failed (Docker, image, a grader bug): retry
130  interrupted"""


class GraderError(Exception):
    """Base of every error the grader raises on purpose."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:         # one error of a kind that means something else (a refusal by policy)
            self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(GraderError):
    """A command was given arguments or paths it cannot use."""


class SpecError(GraderError):
    """An assignment file is invalid; the message names file, line and field."""

    def __init__(self, message: str, *, problems: list[str] | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or [message]


class SubmissionError(GraderError):
    """A submission cannot be taken in (unsafe archive, missing folder).

    `code` names the kind of refusal ("too_big", "leaves_folder", ...) and `params` holds its facts (file
    names as str, sizes in bytes, counts), so that a caller can say it in another language without reading
    the English message; an error without a code has only its English message.
    """

    exit_code = EXIT_REFUSED

    def __init__(self, message: str, *, code: str | None = None, params: dict[str, Any] | None = None,
                 hint: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message, hint=hint, exit_code=exit_code)
        self.code = code
        self.params: dict[str, Any] = dict(params or {})


class InfrastructureError(GraderError):
    """The grader's own machinery failed; not the student's fault."""

    exit_code = EXIT_INFRASTRUCTURE


class EngineError(InfrastructureError):
    """The Docker engine is missing, not running or not answering."""


class ImageError(InfrastructureError):
    """The sandbox image is missing or could not be built."""
