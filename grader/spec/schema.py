"""The assignment file's schema: pydantic models validated when the file is loaded."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, PrivateAttr, TypeAdapter, WithJsonSchema
from pydantic_core import PydanticCustomError

from grader.checks import Check, CheckBase
from grader.checks.files import collected_paths
from grader.checks.params import Duration, Points, PositiveInt, Size, StrictModel
from grader.sandbox.records import Limits, RunRequest, StdoutMode

__all__ = ["INTERPRETERS", "MIN_MEMORY", "Assignment", "FaultySpec", "LimitsSpec", "TestSpec", "check_id"]

MIN_MEMORY = 4 * 2**20
# Inside the sandbox image the interpreter is run by its real path: no pyenv-style shims on PATH.
INTERPRETERS = {"python3": "/usr/bin/python3", "python": "/usr/bin/python3"}
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_DEFAULTS = Limits()


def _relative_path(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError("path", "expected a relative path, got {got}", {"got": repr(value)})
    parts = Path(value).parts
    if Path(value).is_absolute() or ".." in parts:
        raise PydanticCustomError(
            "path", "expected a path inside the assignment's folder (relative, no '..'), got {got}",
            {"got": repr(value)},
        )
    return value


RelativePath = Annotated[str, PlainValidator(_relative_path), WithJsonSchema({"type": "string"})]


def _argv(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(a, str) and a for a in value):
        raise PydanticCustomError(
            "argv", "expected a command as a list of strings, e.g. [python3, hello.py], got {got}", {"got": repr(value)}
        )
    return list(value)


Argv = Annotated[
    list[str], PlainValidator(_argv),
    WithJsonSchema({"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}),
]


def _assignment_id(value: Any) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise PydanticCustomError(
            "id", "expected an id of lowercase letters, digits, '.', '_' or '-', got {got}", {"got": repr(value)}
        )
    return value


AssignmentId = Annotated[str, PlainValidator(_assignment_id), WithJsonSchema({"type": "string", "pattern": _ID.pattern})]


def _memory(value: Any) -> int:
    size: int = TypeAdapter(Size).validate_python(value)
    if size < MIN_MEMORY:
        raise PydanticCustomError(
            "limits", "expected at least 4MiB (a program cannot start in less), got {got}", {"got": repr(value)}
        )
    return size


Memory = Annotated[int, PlainValidator(_memory), WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer"}],
                                                                 "description": "a size of at least 4MiB"})]


# "submission": one container runs every repeat of every test (fast; between runs the harness kills
# the student's processes and wipes files and IPC, but the network namespace, e.g. a port in
# TIME_WAIT, carries over). "run": a fresh container for each repeat of the test.
Isolation = Literal["submission", "run"]


class LimitsSpec(StrictModel):
    """Resource limits in readable units; `to_limits` gives the sandbox's Limits (ms, bytes)."""

    timeout: Duration = _DEFAULTS.timeout_ms
    memory: Memory = _DEFAULTS.memory_bytes
    pids: PositiveInt = _DEFAULTS.pids
    cpus: float = Field(default=_DEFAULTS.cpus, gt=0, le=64)
    output: Size = _DEFAULTS.output_bytes
    tmpfs: Size = _DEFAULTS.tmpfs_bytes
    open_files: PositiveInt = _DEFAULTS.open_files
    file_size: Size = _DEFAULTS.file_bytes
    trace: Size = _DEFAULTS.trace_bytes

    def to_limits(self) -> Limits:
        """The sandbox's Limits."""
        return Limits(
            timeout_ms=self.timeout,
            memory_bytes=self.memory,
            pids=self.pids,
            cpus=self.cpus,
            output_bytes=self.output,
            tmpfs_bytes=self.tmpfs,
            open_files=self.open_files,
            file_bytes=self.file_size,
            trace_bytes=self.trace,
        )


class TestSpec(StrictModel):
    """One test: a run of the program (repeated) and the checks every run must pass."""

    __test__ = False  # not a pytest class

    name: str = Field(min_length=1)
    name_ko: str | None = None     # the test's name on the Korean page
    points: Points = 1.0
    visibility: Literal["visible", "hidden", "after_due_date"] = "visible"
    run: Argv | None = None
    stdin: str = ""
    repeat: PositiveInt | None = None
    stdout: StdoutMode | None = None
    isolation: Isolation | None = None
    all_or_nothing: bool = False
    description: str | None = None
    description_ko: str | None = None
    checks: list[Check] = Field(min_length=1)


class FaultySpec(StrictModel):
    """A known-faulty solution and the checks it must fail (kinds, check ids, or 'test name::kind')."""

    path: RelativePath
    fails: list[str] = Field(min_length=1)
    note: str | None = None


def check_id(test: TestSpec, check: CheckBase) -> str:
    """A check's test-qualified id: '<test name>::<id or kind>'."""
    return f"{test.name}::{check.id or check.kind}"


class Assignment(StrictModel):
    """An assignment: what to build and run, the tests and their checks, and known solutions."""

    id: AssignmentId
    title: str = Field(min_length=1)
    title_ko: str | None = None
    language: Literal["python", "c"]
    files: list[RelativePath] = Field(min_length=1)
    build: Argv | None = None
    run: Argv
    limits: LimitsSpec = LimitsSpec()
    repeat: PositiveInt = 1
    stdout: StdoutMode = "pipe"
    isolation: Isolation = "submission"
    # Where its programs run when the command line does not say: see grader.sandbox.select.
    sandbox: Literal["auto", "docker", "local"] = "auto"
    tests: list[TestSpec] = Field(min_length=1)
    reference: RelativePath | None = None
    faulty: list[FaultySpec] = Field(default_factory=list)

    _folder: Path | None = PrivateAttr(default=None)
    _source: Path | None = PrivateAttr(default=None)
    _hash: str = PrivateAttr(default="")

    @property
    def folder(self) -> Path:
        """The folder the assignment file is in (paths in it are relative to this)."""
        return self._folder if self._folder is not None else Path(".")

    @property
    def source(self) -> Path | None:
        """The assignment file it was loaded from."""
        return self._source

    @property
    def content_hash(self) -> str:
        """sha256 of the assignment file's bytes ('' if not loaded from a file)."""
        return self._hash

    def resolve(self, relative: str) -> Path:
        """A path from the assignment file, made absolute against its folder."""
        return (self.folder / relative).resolve()

    @property
    def max_score(self) -> float:
        """Total points."""
        return sum(t.points for t in self.tests)

    def request_for(self, test: TestSpec, *, repeat: int | None = None) -> RunRequest:
        """The sandbox request for one test: its command, repeats, stdin and stdout mode."""
        command = list(test.run or self.run)
        command[0] = INTERPRETERS.get(command[0], command[0])
        return RunRequest(
            name=test.name,
            command=tuple(command),
            repeat=repeat if repeat is not None else (test.repeat or self.repeat),
            stdin=test.stdin.encode("utf-8"),
            stdout_mode=test.stdout or self.stdout,
            isolation=test.isolation or self.isolation,
            trace=True,
            collect=collected_paths(test.checks),
        )

    def requests(self, *, repeat: int | None = None) -> list[RunRequest]:
        """One request per test, in order."""
        return [self.request_for(t, repeat=repeat) for t in self.tests]

    def check_ids(self) -> set[str]:
        """Every name a faulty solution's `fails` may use: kinds, check ids, and 'test::kind' / 'test::id'."""
        names: set[str] = set()
        for test in self.tests:
            for check in test.checks:
                names.add(check.kind)
                names.add(check_id(test, check))
                names.add(f"{test.name}::{check.kind}")
                if check.id:
                    names.add(check.id)
        return names
