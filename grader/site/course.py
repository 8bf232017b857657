"""The course file (course.yaml): title, languages, staff, and per assignment its deadline, late policy and
which score counts. Validated when loaded, against a typed schema; an error names the file and the field.

    title: Operating Systems, fall 2026
    languages: [en, ko]
    staff:
      - {username: kim-ta, role: ta, name: Kim Minsu}
      - {username: prof-lee, role: instructor}
    roster: roster.csv                 # optional: the class list, as `grader batch --roster` reads it
    rate_limit: {submissions: 5, minutes: 10}
    max_pending: 3                     # attempts a student may have queued or running at once
    live_steps: true                   # "step k of n" while grading (false: one sandbox session, faster)
    assignments:
      - path: fork-hello               # a folder of this course holding assignment.yaml
        due: 2026-12-10T23:59:00+09:00
        late: {until: 2026-12-12T23:59:00+09:00, penalty_per_day: 10}
        score: best                    # last (default) | best
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from grader.checks.params import StrictModel
from grader.errors import SpecError, UsageError
from grader.spec.loader import load_assignment
from grader.spec.schema import Assignment

__all__ = ["COURSE_FILE", "AssignmentEntry", "Course", "LatePolicy", "RateLimit", "StaffEntry", "load_course"]

COURSE_FILE = "course.yaml"
Role = Literal["student", "ta", "instructor"]


class StaffEntry(StrictModel):
    """One member of staff: an account made at the first start, with a one-time invite link."""

    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    role: Literal["ta", "instructor"] = "ta"
    name: str = ""


class LatePolicy(StrictModel):
    """Late submissions: accepted until `until` (none after), losing `penalty_per_day` percent per started day."""

    until: datetime
    penalty_per_day: float = Field(default=0.0, ge=0.0, le=100.0)

    @field_validator("until")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _aware(value)


class RateLimit(StrictModel):
    """At most `submissions` attempts per student and assignment in any `minutes` minutes."""

    submissions: int = Field(default=10, ge=1)
    minutes: int = Field(default=10, ge=1)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a deadline needs its time zone, e.g. 2026-12-10T23:59:00+09:00")
    return value.astimezone(timezone.utc)


class AssignmentEntry(StrictModel):
    """One assignment of the course: where its assignment.yaml is and the rules around it."""

    path: str = Field(min_length=1)
    due: datetime | None = None
    late: LatePolicy | None = None
    score: Literal["last", "best"] | None = None  # None: the course's `score`

    @field_validator("due")
    @classmethod
    def _due_aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _aware(value)


class Course(StrictModel):
    """A course: a folder of assignments and this file."""

    title: str = Field(min_length=1)
    languages: list[Literal["en", "ko"]] = Field(default_factory=lambda: ["en", "ko"], min_length=1)  # type: ignore[arg-type]
    staff: list[StaffEntry] = Field(default_factory=list)
    roster: str | None = None
    score: Literal["last", "best"] = "last"
    rate_limit: RateLimit = Field(default_factory=RateLimit)
    max_pending: int = Field(default=3, ge=1)
    # true: each run group in a sandbox session of its own, so the page can say "step k of n" (1.4-1.6x the
    # grading time of fork-hello, bench/bench_site_burst.py); false: one session per submission, "running".
    live_steps: bool = True
    assignments: list[AssignmentEntry] = Field(min_length=1)

    # Set by load_course: the folder the paths are relative to.
    folder: Path = Path(".")

    @cached_property
    def specs(self) -> dict[str, Assignment]:
        """Each assignment's validated spec, by its id (loaded once)."""
        out: dict[str, Assignment] = {}
        for entry in self.assignments:
            spec = load_assignment(self.folder / entry.path)
            if spec.id in out:
                raise UsageError(f"{self.folder / COURSE_FILE}: two assignments have the id {spec.id!r}")
            out[spec.id] = spec
        return out

    def entry(self, assignment_id: str) -> AssignmentEntry:
        """The course's rules for one assignment (KeyError when the course has no such assignment)."""
        for entry, spec_id in zip(self.assignments, self.specs, strict=True):
            if spec_id == assignment_id:
                return entry
        raise KeyError(assignment_id)

    def score_rule(self, assignment_id: str) -> Literal["last", "best"]:
        return self.entry(assignment_id).score or self.score

    @property
    def roster_path(self) -> Path | None:
        return None if self.roster is None else self.folder / self.roster


def load_course(folder: Path) -> Course:
    """Read and validate COURSE_DIR/course.yaml and every assignment it names."""
    folder = Path(folder).resolve()
    path = folder / COURSE_FILE
    if not folder.is_dir():
        raise UsageError(f"course folder {str(folder)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path} is missing", hint="write a course.yaml: see `grader serve --help`, or try "
                         "`grader serve --demo`") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot be read as YAML: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping (title, assignments, ...), got {type(data).__name__}")
    try:
        course = Course.model_validate({**data, "folder": folder})
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise UsageError(f"{path}: " + "; ".join(problems)) from None
    try:
        course.specs  # noqa: B018 - load and validate every assignment now, not on a student's first click
    except SpecError as exc:
        raise UsageError(f"{path}: an assignment is invalid: {exc.message}") from None
    return course
