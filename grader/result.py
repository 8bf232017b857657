"""The graded result of one submission: what every renderer and exporter reads.

Scores are points (float). A student's failure is a result with a message,
never an exception. `to_json` is the documented JSON result (`grader run --json`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "N_",
    "Status",
    "Visibility",
    "Message",
    "Evidence",
    "Diagnosis",
    "fill",
    "MAX_LISTED",
    "param_text",
    "revive",
    "CheckResult",
    "TestResult",
    "RunSummary",
    "Result",
]

Status = Literal["passed", "failed", "flaky", "error", "not_applicable"]  # not_applicable: checks only
Visibility = Literal["visible", "hidden", "after_due_date"]


def N_(template: str) -> str:
    """Mark a catalog template (an English msgid) for extraction; it is translated when rendered."""
    return template


@dataclass(slots=True)
class Message:
    """One sentence of feedback: a catalog template (its English msgid) and the typed facts that fill it.

    A parameter is an int, float (seconds), str, a list of those, another Message (a phrase rendered
    in the same language) or a list of Messages (joined with "; "). English is the template filled
    in; another language fills the template's translation with the same values.
    """

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.params = {key: revive(value) for key, value in self.params.items()}

    @property
    def english(self) -> str:
        return fill(self.template, self.params)


def revive(value: Any) -> Any:
    """A parameter read back from JSON: {"template", "params"} dicts become Messages again."""
    if isinstance(value, dict) and set(value) == {"template", "params"} and isinstance(value["template"], str):
        return Message(value["template"], dict(value["params"] or {}))
    if isinstance(value, list):
        return [revive(v) for v in value]
    return value


def _number(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    if abs(value) < 10:
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{value:.1f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:.0f}"


# A list in a sentence (pids, lines) names this many items, then counts the rest: a 3000-process
# chain's diagnosis stays one line. The facts keep every item; only their text is cut.
MAX_LISTED = 10
MORE_LISTED = N_("{listed} … and {more} more")


def param_text(value: Any, translate: Callable[[str], str] = N_, clean: Callable[[str], str] = str) -> str:
    """One parameter as text: numbers as people write them, lists joined (at most MAX_LISTED items
    and a count of the rest), Messages rendered."""
    if isinstance(value, Message):
        return fill(translate(value.template), value.params, translate, clean)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, Message) for v in value):
            return "; ".join(param_text(v, translate, clean) for v in value)
        listed = ", ".join(param_text(v, translate, clean) for v in value[:MAX_LISTED])
        if len(value) <= MAX_LISTED:
            return listed
        return translate(MORE_LISTED).format(listed=listed, more=len(value) - MAX_LISTED)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return _number(value)
    return clean(str(value))


def fill(template: str, params: dict[str, Any], translate: Callable[[str], str] = N_,
         clean: Callable[[str], str] = str) -> str:
    """`template` with its {fields} replaced by `params` (nested Messages through `translate`)."""
    return template.format_map(_Fields(params, translate, clean))


class _Fields(dict[str, str]):
    def __init__(self, params: dict[str, Any], translate: Callable[[str], str], clean: Callable[[str], str]):
        super().__init__()
        self.params, self.translate, self.clean = params, translate, clean

    def __missing__(self, key: str) -> str:
        if key not in self.params:
            raise KeyError(key)
        return param_text(self.params[key], self.translate, self.clean)


@dataclass(slots=True)
class Evidence:
    """A piece of the trace or output that backs a message."""

    label: str                       # what this is, e.g. "line written by pid 12", "process tree"
                                     # (a catalog template when `items` is set)
    lines: list[str] = field(default_factory=list)  # text shown to the student (already decoded safely)
    tasks: list[int] = field(default_factory=list)  # tids it concerns
    run: int | None = None           # repeat index it was seen in
    items: list[Message] = field(default_factory=list)  # the lines as templates with facts (then
                                     # `lines` is their English); renderers translate these

    def __post_init__(self) -> None:
        self.items = [revive(item) for item in self.items]
        if self.items and not self.lines:
            self.lines = [item.english for item in self.items]


@dataclass(slots=True)
class Diagnosis:
    """A cause found in the trace that explains failed checks (zombie, orphan, hang...)."""

    code: str                        # stable id: "zombie", "orphan", "fork_buffer_duplicate",
                                     # "pipe_write_end_open", "fork_bomb", "timeout", "compile_error",
                                     # "crash", "exception", "syntax_error", "exit_status", "failed_exec",
                                     # "linger", "late_reap", "missing_files", "oom", "output_limit",
                                     # "trace_limit", "start_failed"
    message: str                     # English: `template` filled with `params`
    params: dict[str, Any] = field(default_factory=dict)  # the facts `template` names (typed values)
    evidence: list[Evidence] = field(default_factory=list)
    explains: list[str] = field(default_factory=list)     # check kinds it explains
    template: str = ""               # the catalog template of `message` ("" for a message without one)

    def __post_init__(self) -> None:
        self.params = {key: revive(value) for key, value in self.params.items()}


@dataclass(slots=True)
class CheckResult:
    """One check over every repeat of its test."""

    kind: str                        # e.g. "output.count"
    status: Status
    message: str                     # expected vs observed, from the run that failed (or passed)
    weight: float = 1.0
    score: float = 0.0
    max_score: float = 0.0
    passed_runs: int = 0
    total_runs: int = 0
    expected: str | None = None
    observed: str | None = None
    hint: str | None = None          # the assignment author's hint for this check
    evidence: list[Evidence] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)  # for translated messages
    label: str | None = None         # the author's short description, if given
    hint_ko: str | None = None       # the author's hint in Korean, if given
    explained_by: list[str] = field(default_factory=list)  # codes of diagnoses that explain this failure


@dataclass(slots=True)
class RunSummary:
    """What one repeat of a test did, for the feedback page (tree and timeline come from `execution`)."""

    index: int
    exit_code: int | None
    signal: str | None
    wall_ms: int
    timed_out: bool = False
    oom_killed: bool = False
    pids_limit_hit: bool = False
    output_limit_hit: bool = False
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_truncated: bool = False
    execution: dict[str, Any] | None = None   # Execution.to_json() of this run
    perturbation: dict[str, Any] | None = None  # the schedule perturbation it ran with (level, seed, delays,
                                              # CPUs, switch interval: grader.sandbox.perturb), None: none


@dataclass(slots=True)
class TestResult:
    __test__ = False   # not a pytest test class, though its name starts with Test

    name: str
    status: Status
    score: float
    max_score: float
    visibility: Visibility = "visible"
    checks: list[CheckResult] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    runs: list[RunSummary] = field(default_factory=list)
    message: str | None = None       # for status "error": why the test could not run
    name_ko: str | None = None       # the test's name in Korean, if the assignment gives one
    run_id: str = ""                 # the runs it checked: tests with one run configuration share them
                                     # ("r1", "r2", ... in the assignment's order; "" = not run)


@dataclass(slots=True)
class Result:
    """A graded submission."""

    assignment_id: str
    assignment_title: str
    submission: str                  # a label: student id or folder name
    score: float
    max_score: float
    tests: list[TestResult] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)  # submission-wide (missing files, compile error)
    build_output: bytes | None = None
    error: str | None = None         # the grader's own failure, stated plainly
    grader_version: str = ""
    submission_hash: str = ""
    assignment_hash: str = ""
    graded_at: str = ""              # ISO 8601 UTC
    duration_ms: int = 0
    assignment_title_ko: str | None = None  # the assignment's title in Korean, if given
    variant: str | None = None       # the assignment's variant that was graded (e.g. "python", "c")
    # How each limit was enforced where the sandbox could not give all of Docker's (SandboxResult.limits_in_force:
    # the local backend's {"memory": "... RLIMIT_DATA (no writable cgroup v2)", ...}); empty = all of them, as Docker.
    limits_in_force: dict[str, str] = field(default_factory=dict)
    warnings: list[Diagnosis] = field(default_factory=list)  # pitfalls seen in the files before any run
                                     # (grader.pitfalls); they change no score

    @property
    def full_marks(self) -> bool:
        return self.error is None and self.score >= self.max_score

    def for_student(self, *, after_due_date: bool = False) -> Result:
        """A copy with hidden tests reduced to what a student may see."""
        from dataclasses import replace

        shown: list[TestResult] = []
        for test in self.tests:
            if test.visibility == "visible" or (test.visibility == "after_due_date" and after_due_date):
                shown.append(test)
            else:
                shown.append(replace(test, checks=[], diagnoses=[], runs=[], message=None))
        return replace(self, tests=shown)

    def to_json(self) -> dict[str, Any]:
        from grader.serialize import result_to_json

        return result_to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        from grader.serialize import result_from_json

        return result_from_json(data)
