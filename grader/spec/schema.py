"""The assignment file's schema: pydantic models validated when the file is loaded."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainValidator, PrivateAttr, TypeAdapter, WithJsonSchema
from pydantic_core import PydanticCustomError

from grader.checks import Check, CheckBase
from grader.checks.files import collected_paths
from grader.checks.params import Duration, Points, PositiveInt, Size, StrictModel, format_duration, format_size
from grader.sandbox.perturb import default_level
from grader.sandbox.records import Limits, RunRequest, StdoutMode

__all__ = ["INTERPRETERS", "MIN_MEMORY", "VARIANT_ONLY", "Assignment", "FaultySpec", "LimitsSpec", "TestSpec",
           "VariantSpec", "check_id"]

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
            "limits", "expected at least 4MiB (a program cannot start in less), got {got}{fix}",
            {"got": repr(value), "fix": f" (a bare number is bytes: write '{value}MiB')" if isinstance(value, int) else ""},
        )
    return size


Memory = Annotated[int, PlainValidator(_memory), WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer"}],
                                                                 "description": "a size of at least 4MiB"})]


def _perturb_level(value: Any) -> Any:
    # YAML reads a bare `off` as false: that is what the author wrote.
    return "off" if value is False else value


PerturbLevel = Annotated[Literal["off", "light", "heavy"], BeforeValidator(_perturb_level)]


# "submission": one container runs every repeat of every test (fast; between runs the harness kills
# the student's processes and wipes files and IPC, but the network namespace, e.g. a port in
# TIME_WAIT, carries over). "run": a fresh container for each repeat of the test.
Isolation = Literal["submission", "run"]


class LimitsSpec(StrictModel):
    """Resource limits in readable units; `to_limits` gives the sandbox's Limits (ms, bytes)."""

    # Defaults are written the way an author writes them ('10s', '256MiB') and validated like any value,
    # so the JSON Schema and the reference show them with their units.
    timeout: Duration = Field(
        default=format_duration(_DEFAULTS.timeout_ms), validate_default=True,
        description="wall-clock time one run may take before the grader stops it (a duration with its unit)")
    memory: Memory = Field(
        default=format_size(_DEFAULTS.memory_bytes), validate_default=True,
        description="memory the program's processes may use together, no swap (at least 4MiB)")
    pids: PositiveInt = Field(
        default=_DEFAULTS.pids, description="tasks (processes and threads together) alive at once")
    cpus: float = Field(default=_DEFAULTS.cpus, gt=0, le=64, description="CPU time quota, in CPUs (0.5 = half of one)")
    output: Size = Field(
        default=format_size(_DEFAULTS.output_bytes), validate_default=True,
        description="bytes kept of each of stdout and stderr; a run that prints more is stopped")
    tmpfs: Size = Field(
        default=format_size(_DEFAULTS.tmpfs_bytes), validate_default=True,
        description="size of the writable working folder (and of /tmp and /dev/shm, each)")
    open_files: PositiveInt = Field(
        default=_DEFAULTS.open_files, description="file descriptors one process may hold open (RLIMIT_NOFILE)")
    file_size: Size = Field(
        default=format_size(_DEFAULTS.file_bytes), validate_default=True,
        description="largest file the program may write (RLIMIT_FSIZE)")
    trace: Size = Field(
        default=format_size(_DEFAULTS.trace_bytes), validate_default=True,
        description="size of the system-call trace beyond which the run is stopped")

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

    name: str = Field(min_length=1, description="the test's name, unique in the assignment; `fails:` can use it")
    name_ko: str | None = Field(default=None, description="the test's name on the Korean page")
    points: Points = Field(default=1.0, description="points of the test, shared among its checks by weight")
    visibility: Literal["visible", "hidden", "after_due_date"] = Field(
        default="visible", description="when students see the test's result (on platforms that hide tests)")
    run: Argv | None = Field(
        default=None, description="the command of this test, e.g. [python3, hello.py, --twice] (default: the "
                                  "assignment's `run`)")
    stdin: str = Field(default="", description="text given to the program on standard input")
    repeat: PositiveInt | None = Field(
        default=None, description="how many times the program is run; a check passes only if it passes in every "
                                  "run (some runs: flaky) (default: the assignment's `repeat`)")
    stdout: StdoutMode | None = Field(
        default=None, description="pipe, or pty (a terminal: line-buffered stdio) (default: the assignment's "
                                  "`stdout`)")
    isolation: Isolation | None = Field(
        default=None, description="submission (one container for all runs) or run (a fresh container per run) "
                                  "(default: the assignment's `isolation`)")
    # Tests whose run configuration (command, stdin, stdout mode, repeat, isolation, limits) is the same
    # check the same runs; a test that must have runs of its own (e.g. it counts something a run of
    # another test could disturb) says so here.
    own_runs: bool = Field(default=False, description="run the program for this test alone; by default tests with "
                                                      "the same command, stdin, stdout, repeat and isolation check "
                                                      "the same runs")
    all_or_nothing: bool = Field(default=False, description="the test scores its points only if every check passed")
    description: str | None = Field(default=None, description="what the test is about, shown to students")
    description_ko: str | None = Field(default=None, description="the description on the Korean page")
    checks: list[Check] = Field(min_length=1, description="the checks every run must pass (see Check kinds)")


class FaultySpec(StrictModel):
    """A known-faulty solution and the checks it must fail (kinds, check ids, or 'test name::kind')."""

    path: RelativePath = Field(description="the faulty solution: a file or folder, relative to the assignment file")
    fails: list[str] = Field(min_length=1, description="the checks it must fail, and only those (see Naming checks in "
                                                       "`fails:`)")
    note: str | None = Field(default=None, description="what is wrong with it, for the authors")


_VARIANT_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def _variant_name(value: Any) -> str:
    if not isinstance(value, str) or not _VARIANT_NAME.match(value):
        raise PydanticCustomError(
            "id", "expected a variant name of lowercase letters, digits, '_' or '-' (e.g. python, c), got {got}",
            {"got": repr(value)},
        )
    return value


VariantName = Annotated[str, PlainValidator(_variant_name),
                        WithJsonSchema({"type": "string", "pattern": _VARIANT_NAME.pattern})]


class VariantSpec(StrictModel):
    """One way to do the assignment (a language): its files, build and run, its known solutions, and
    what it changes of the assignment's shared settings (limits key by key; tests as a whole list)."""

    language: Literal["python", "c", "cpp"] = Field(description="the language of this variant's submissions: "
                                                                "python, c or cpp (C++, built with g++)")
    files: list[RelativePath] = Field(min_length=1, description="the files a submission of this variant must "
                                                                "contain; the grader picks the variant whose files "
                                                                "are all there")
    build: Argv | None = Field(default=None, description="this variant's build command, e.g. [gcc, -o, hello, hello.c]")
    run: Argv = Field(description="this variant's command, e.g. [./hello]")
    limits: LimitsSpec | None = Field(default=None, description="limits that differ for this variant: only the "
                                                                "keys given replace the assignment's")
    repeat: PositiveInt | None = Field(default=None, description="this variant's repeat (default: the assignment's)")
    stdout: StdoutMode | None = Field(default=None, description="this variant's stdout (default: the assignment's)")
    isolation: Isolation | None = Field(default=None, description="this variant's isolation (default: the "
                                                                  "assignment's)")
    tests: list[TestSpec] | None = Field(default=None, min_length=1, description="this variant's tests, instead of "
                                                                                 "the assignment's")
    sanitize: Literal["thread", "address", "undefined"] | None = Field(
        default=None, description="this variant's sanitizer build (default: the assignment's)")
    reference: RelativePath | None = Field(default=None, description="this variant's reference solution")
    faulty: list[FaultySpec] = Field(default_factory=list, description="this variant's known-faulty solutions, "
                                                                       "each checked against this variant's tests")


# Top-level fields that belong to a variant when the assignment has variants.
VARIANT_ONLY = ("language", "files", "build", "run", "reference", "faulty")


def check_id(test: TestSpec, check: CheckBase) -> str:
    """A check's test-qualified id: '<test name>::<id or kind>'."""
    return f"{test.name}::{check.id or check.kind}"


class Assignment(StrictModel):
    """An assignment: what to build and run, the tests and their checks, and known solutions."""

    id: AssignmentId = Field(description="the assignment's id: lowercase letters, digits, '.', '_' or '-'")
    title: str = Field(min_length=1, description="the title students see")
    title_ko: str | None = Field(default=None, description="the title on the Korean page")
    # language, files and run are required unless `variants` gives them per variant (the loader says so).
    language: Literal["python", "c", "cpp"] | None = Field(
        default=None, description="python, c or cpp (C++, built with g++) (with `variants`: each variant's own)")
    files: list[RelativePath] = Field(default_factory=list, description="the files a submission must contain "
                                                                        "(with `variants`: each variant's own)")
    build: Argv | None = Field(default=None, description="the command that builds the submission, e.g. [make]; a "
                                                         "failed build fails every test")
    run: Argv | None = Field(default=None, description="the command every test runs unless it gives its own, e.g. "
                                                       "[python3, hello.py] (with `variants`: each variant's own)")
    limits: LimitsSpec = Field(default=LimitsSpec(), description="resource limits of every run (see Limits)")
    repeat: PositiveInt = Field(default=1, description="how many times each test's program is run; a check passes "
                                                       "only if it passes in every run")
    stdout: StdoutMode = Field(default="pipe", description="the program's stdout: pipe, or pty (a terminal, so "
                                                           "stdio is line-buffered)")
    isolation: Isolation = Field(default="submission", description="submission: one container runs every run of "
                                                                   "every test; run: a fresh container per run")
    # Repeats without perturbation sample the same interleaving again and again: grader.sandbox.perturb.
    perturb: PerturbLevel | None = Field(
        default=None, description="schedule perturbation across repeats: off, light or heavy (seeded delays on "
                                  "the traced calls where interleavings are decided, CPU placement with a "
                                  "preemption ticker on pinned CPUs, Python's switch interval; each run records "
                                  "its seed) (default: light when a test "
                                  "repeats, off for one run)")
    sanitize: Literal["thread", "address", "undefined"] | None = Field(
        default=None, description="build the C/C++ submission with one of gcc's sanitizers and run it so: thread "
                                  "(ThreadSanitizer: data races, for race.none), address (AddressSanitizer: out-of-bounds "
                                  "access, use after free, double free, for memory.safe) or undefined "
                                  "(UndefinedBehaviorSanitizer: signed overflow, bad shifts, for ub.none); the build "
                                  "must start with gcc, g++, cc or c++ (with `variants`: each variant's own)")
    race: Literal["fail", "warn"] = Field(
        default="fail", description="what a race costs: fail (a check that held in some runs and not others "
                                    "scores nothing) or warn (it keeps its points; the page still says the "
                                    "program has a race and in which runs it failed)")
    # Where its programs run when the command line does not say: see grader.sandbox.select.
    sandbox: Literal["auto", "docker", "local"] = Field(
        default="auto", description="where programs run when the command line does not say: docker, local "
                                    "(this machine, only inside a disposable container) or auto")
    tests: list[TestSpec] = Field(default_factory=list, description="the tests (required unless every variant "
                                                                    "gives its own)")
    reference: RelativePath | None = Field(
        default=None, description="the reference solution (file or folder): `grader validate` requires full marks")
    faulty: list[FaultySpec] = Field(
        default_factory=list, description="known-faulty solutions and the checks each must fail (see Faulty solutions)")
    # Ways to do the assignment (e.g. python and c), each graded by the files a submission holds or
    # by an explicit choice: see `for_variant`. Empty: the top-level fields are the only way.
    variants: dict[VariantName, VariantSpec] = Field(
        default_factory=dict, description="ways to do the assignment, e.g. python and c, each with its files, build, "
                                          "run and solutions; a submission is graded by the variant whose files it "
                                          "holds (or `--variant`)")

    _folder: Path | None = PrivateAttr(default=None)
    _source: Path | None = PrivateAttr(default=None)
    _hash: str = PrivateAttr(default="")
    _variant: str | None = PrivateAttr(default=None)

    @property
    def variant(self) -> str | None:
        """The variant this assignment was resolved to (None: not a variant of anything)."""
        return self._variant

    def for_variant(self, name: str) -> Assignment:
        """The plain assignment one variant makes: its files, build, run and solutions, the shared
        settings with the variant's changes (limits key by key, tests replaced), and no variants."""
        if name not in self.variants:
            known = ", ".join(self.variants) or "none"
            raise KeyError(f"no variant {name!r} (variants: {known})")
        spec = self.variants[name]
        limits = self.limits
        if spec.limits is not None:
            limits = limits.model_copy(update={k: getattr(spec.limits, k) for k in spec.limits.model_fields_set})
        resolved = self.model_copy(update={
            "language": spec.language, "files": list(spec.files), "build": spec.build, "run": spec.run,
            "limits": limits, "repeat": spec.repeat or self.repeat, "stdout": spec.stdout or self.stdout,
            "isolation": spec.isolation or self.isolation, "sanitize": spec.sanitize or self.sanitize,
            "tests": list(spec.tests) if spec.tests is not None else list(self.tests),
            "reference": spec.reference, "faulty": list(spec.faulty), "variants": {},
        })
        resolved._folder, resolved._source, resolved._hash = self._folder, self._source, self._hash
        resolved._variant = name
        return resolved

    def resolved_variants(self) -> list[Assignment]:
        """Each variant as a plain assignment, in the file's order ([self] when there are none)."""
        return [self.for_variant(name) for name in self.variants] if self.variants else [self]

    @property
    def all_files(self) -> list[str]:
        """Every file a submission may be asked for: the files, or each variant's, once each in order."""
        if not self.variants:
            return list(self.files)
        return list(dict.fromkeys(f for spec in self.variants.values() for f in spec.files))

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
        """Total points (of the first variant's tests when there are variants and no shared tests)."""
        tests = self.tests or (self.resolved_variants()[0].tests if self.variants else [])
        return sum(t.points for t in tests)

    def request_for(self, test: TestSpec, *, repeat: int | None = None) -> RunRequest:
        """The sandbox request for one test: its command, repeats, stdin and stdout mode."""
        run = test.run or self.run
        if run is None:
            raise ValueError("an assignment with variants is run through one of them: see for_variant")
        command = list(run)
        command[0] = INTERPRETERS.get(command[0], command[0])
        repeats = repeat if repeat is not None else (test.repeat or self.repeat)
        return RunRequest(
            name=test.name,
            command=tuple(command),
            repeat=repeats,
            perturb=default_level(self.perturb, repeats),
            sanitize=self.sanitize,
            stdin=test.stdin.encode("utf-8"),
            stdout_mode=test.stdout or self.stdout,
            isolation=test.isolation or self.isolation,
            trace=True,
            collect=collected_paths(test.checks),
        )

    @property
    def build_command(self) -> list[str] | None:
        """The build the sandbox runs: `build`, with the sanitizer's flags when `sanitize` is set."""
        if self.build is None or self.sanitize is None:
            return self.build
        from grader.sanitize import build_command

        return build_command(list(self.build), self.sanitize)

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
