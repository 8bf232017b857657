"""The grader's exceptions, one tree; each error the CLI shows carries its exit code.

    GraderError                  exit 2 unless said otherwise
    ├── UsageError               bad arguments or paths given to a command
    ├── SpecError                an assignment file is wrong (file, line, field)
    ├── SubmissionError          a submission cannot be taken in (bad archive, ...)
    └── InfrastructureError      the grader's own machinery failed
        ├── EngineError          the Docker engine is missing or not answering
        └── ImageError           the sandbox image is missing or failed to build

A student's failure (crash, timeout, compile error) is never an exception: it is
a result. These are for assignment authors, TAs and infrastructure.
"""

from __future__ import annotations

__all__ = [
    "GraderError",
    "UsageError",
    "SpecError",
    "SubmissionError",
    "InfrastructureError",
    "EngineError",
    "ImageError",
]


class GraderError(Exception):
    """Base of every error the grader raises on purpose."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

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
    """A submission cannot be taken in (unsafe archive, missing folder)."""


class InfrastructureError(GraderError):
    """The grader's own machinery failed; not the student's fault."""


class EngineError(InfrastructureError):
    """The Docker engine is missing, not running or not answering."""


class ImageError(InfrastructureError):
    """The sandbox image is missing or could not be built."""
