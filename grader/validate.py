"""Validate an assignment library: the schema loads, the reference scores full marks, each faulty solution fails what it declares.

For each assignment file, `validate` produces rows:

    schema     the file loads (else this is the only row, with the loader's message)
    reference  the reference solution scores full marks, every check passed in every repeat
    faulty     per known-faulty solution: every check it declares (in `fails`) came out failed or
               flaky, and every check it does not declare passed

A `fails` entry names checks the way `Assignment.check_ids` allows: a kind (`output.count`, every
check of that kind), a check id, or `test name::kind` / `test name::id`. A test that did not run
because the build failed counts as failing all its checks (a compile error is the student's result).
A check whose status is "error" (the grader could not judge it) never counts as caught.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from grader.errors import SpecError
from grader.result import Result, TestResult
from grader.sandbox.base import Sandbox
from grader.spec.schema import Assignment, TestSpec, check_id

__all__ = [
    "CheckVerdict",
    "ValidationRow",
    "declared_checks",
    "expected_rows",
    "faulty_coverage",
    "judge_faulty",
    "judge_reference",
    "stage_submission",
    "to_junit",
    "to_table",
    "validate",
    "validate_assignment",
]

RowRole = Literal["schema", "reference", "faulty"]
Expectation = Literal["pass", "fail"]


@dataclass(slots=True)
class CheckVerdict:
    """One check of one solution: what validation expected of it and what grading found."""

    test: str
    check: str                       # '<test name>::<id or kind>'
    kind: str
    expected: Expectation
    status: str                      # passed, failed, flaky, error, or "not run" (test skipped, e.g. build failed)
    message: str = ""

    @property
    def ok(self) -> bool:
        if self.expected == "pass":
            return self.status == "passed"
        return self.status in ("failed", "flaky", "not run")


@dataclass(slots=True)
class ValidationRow:
    """The verdict on one solution (or on the assignment file itself)."""

    assignment: str                  # the assignment's id, or the file's path when it does not load
    source: str                      # the assignment file
    role: RowRole
    solution: str                    # "assignment.yaml", the reference path, or the faulty path
    ok: bool
    detail: str                      # one line: why it is (not) ok
    declared: list[str] = field(default_factory=list)  # a faulty solution's `fails`
    score: float | None = None
    max_score: float | None = None
    checks: list[CheckVerdict] = field(default_factory=list)
    duration_ms: int = 0

    @property
    def problems(self) -> list[CheckVerdict]:
        """The checks that did not come out as expected."""
        return [c for c in self.checks if not c.ok]


# ----- which checks a faulty solution declares -----

def _names_of(test: TestSpec, index: int) -> set[str]:
    check = test.checks[index]
    names = {check.kind, check_id(test, check), f"{test.name}::{check.kind}"}
    if check.id:
        names.add(check.id)
    return names


def declared_checks(assignment: Assignment, fails: Iterable[str]) -> set[tuple[int, int]]:
    """(test index, check index) of every check that one of `fails` names."""
    wanted = set(fails)
    return {
        (t, c)
        for t, test in enumerate(assignment.tests)
        for c in range(len(test.checks))
        if _names_of(test, c) & wanted
    }


def faulty_coverage(assignments: Iterable[Assignment]) -> dict[str, list[str]]:
    """Check kind -> the faulty solutions ('<assignment id>/<path>') that declare a check of that kind."""
    covered: dict[str, list[str]] = {}
    for variant in (v for a in assignments for v in a.resolved_variants()):
        for faulty in variant.faulty:
            kinds = {variant.tests[t].checks[c].kind for t, c in declared_checks(variant, faulty.fails)}
            for kind in sorted(kinds):
                covered.setdefault(kind, []).append(f"{variant.id}/{faulty.path}")
    return covered


# ----- judging a graded Result -----

def _short(text: str, limit: int = 240) -> str:
    """One line of at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _verdicts(assignment: Assignment, result: Result, expect_fail: set[tuple[int, int]]) -> list[CheckVerdict]:
    by_name: dict[str, TestResult] = {t.name: t for t in result.tests}
    verdicts: list[CheckVerdict] = []
    for t, test in enumerate(assignment.tests):
        graded = by_name.get(test.name)
        for c, check in enumerate(test.checks):
            expected: Expectation = "fail" if (t, c) in expect_fail else "pass"
            name = check_id(test, check)
            if graded is None:
                status, message = "error", "the test is missing from the result"
            elif not graded.checks:
                # The test did not run. A build failure or missing file is a student's failure
                # ("failed"); the grader's own trouble is "error" and never counts as caught.
                status = "not run" if graded.status == "failed" else "error"
                message = graded.message or result.error or "the test did not run"
            elif c < len(graded.checks) and graded.checks[c].kind == check.kind:
                status, message = graded.checks[c].status, graded.checks[c].message
            else:
                status, message = "error", "the result's checks do not line up with the assignment's"
            verdicts.append(CheckVerdict(test.name, name, check.kind, expected, status, message))
    return verdicts


def judge_reference(assignment: Assignment, result: Result, *, solution: str, source: str) -> ValidationRow:
    """The row for a reference solution: full marks, every check passed in every run."""
    checks = _verdicts(assignment, result, set())
    bad = [c for c in checks if not c.ok]
    full = result.error is None and result.score >= result.max_score
    if result.error is not None:
        detail = f"grading failed: {_short(result.error)}"
    elif bad:
        first = bad[0]
        detail = f"{len(bad)} check(s) not passed; {first.check} is {first.status}: {_short(first.message)}"
    elif not full:
        detail = f"scored {result.score:g}/{result.max_score:g}"
    else:
        detail = f"full marks ({result.score:g}/{result.max_score:g}) in every run"
    return ValidationRow(
        assignment=assignment.id, source=source, role="reference", solution=solution,
        ok=full and not bad, detail=detail, score=result.score, max_score=result.max_score,
        checks=checks, duration_ms=result.duration_ms,
    )


def judge_faulty(
    assignment: Assignment, result: Result, *, solution: str, fails: Sequence[str], source: str
) -> ValidationRow:
    """The row for a faulty solution: exactly the declared checks fail (or are flaky)."""
    expect_fail = declared_checks(assignment, fails)
    checks = _verdicts(assignment, result, expect_fail)
    missed = [c for c in checks if c.expected == "fail" and not c.ok]
    extra = [c for c in checks if c.expected == "pass" and not c.ok]
    parts: list[str] = []
    if result.error is not None:
        parts.append(f"grading failed: {_short(result.error)}")
    if missed:
        parts.append("declared but not failed: " + ", ".join(f"{c.check} ({c.status})" for c in missed))
    if extra:
        parts.append("failed but not declared: " + ", ".join(f"{c.check} ({c.status})" for c in extra))
    if missed or extra:
        first = (extra or missed)[0]
        parts.append(f"first: {_short(first.message)}")
    ok = result.error is None and not missed and not extra
    if ok:
        caught = sorted({c.check for c in checks if c.expected == "fail"})
        parts.append(f"fails exactly the {len(caught)} declared check(s)")
    return ValidationRow(
        assignment=assignment.id, source=source, role="faulty", solution=solution, ok=ok,
        detail="; ".join(parts), declared=list(fails), score=result.score, max_score=result.max_score,
        checks=checks, duration_ms=result.duration_ms,
    )


# ----- running -----

def stage_submission(assignment: Assignment, solution: Path, into: Path) -> Path:
    """Lay out `solution` as a submission folder under the names the assignment's `files` require.

    A folder is copied as it is. A lone file is copied under the one required name (when there is
    one) or under its own name, and any other required file is taken from the file's own folder.
    """
    if solution.is_dir():
        shutil.copytree(solution, into, dirs_exist_ok=True)
        return into
    into.mkdir(parents=True, exist_ok=True)
    required = list(assignment.files)
    if len(required) == 1:
        target = into / required[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(solution, target)
        return into
    own = solution.name if solution.name in required else required[0]
    shutil.copy2(solution, into / own)
    for name in required:
        if name == own:
            continue
        sibling = solution.parent / name
        if sibling.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(sibling, into / name)
    return into


Grader = Callable[..., Result]


def _grade(assignment: Assignment, solution: Path, sandbox: Sandbox, repeat: int | None, grade: Grader) -> Result:
    with tempfile.TemporaryDirectory(prefix=f"grader-validate-{assignment.id}-") as tmp:
        folder = stage_submission(assignment, solution, Path(tmp) / "submission")
        return grade(assignment, folder, sandbox, repeat=repeat, label=str(solution.name))


def _default_grade() -> Grader:
    from grader.grading import grade

    return grade


def validate_assignment(
    path: Path, *, sandbox: Sandbox, repeat: int | None = None, grade: Grader | None = None
) -> list[ValidationRow]:
    """The rows for one assignment file."""
    from grader.spec.loader import load_assignment

    source = str(path)
    started = time.monotonic()
    try:
        assignment = load_assignment(path)
    except SpecError as err:
        return [ValidationRow(assignment=source, source=source, role="schema", solution=Path(path).name,
                              ok=False, detail=str(err), duration_ms=round((time.monotonic() - started) * 1000))]
    grade = grade or _default_grade()
    rows = [ValidationRow(assignment=assignment.id, source=source, role="schema",
                          solution=Path(path).name,
                          ok=True, detail=f"valid: {len(assignment.tests)} test(s), "
                                          f"{sum(len(t.checks) for t in assignment.tests)} check(s), "
                                          f"{sum(len(v.faulty) for v in assignment.resolved_variants())} faulty solution(s)"
                                          + (f", variants {', '.join(assignment.variants)}" if assignment.variants else ""),
                          duration_ms=round((time.monotonic() - started) * 1000))]
    # Each variant (python, c, ...) is its own assignment here: its reference and its faulty solutions.
    for variant in assignment.resolved_variants():
        tag = f" ({variant.variant})" if variant.variant else ""
        if variant.reference is None:
            rows.append(ValidationRow(assignment=assignment.id, source=source, role="reference", solution="-" + tag,
                                      ok=False, detail=f"the assignment{tag} names no reference solution"))
        else:
            result = _grade(variant, variant.resolve(variant.reference), sandbox, repeat, grade)
            rows.append(judge_reference(variant, result, solution=variant.reference + tag, source=source))
        for faulty in variant.faulty:
            result = _grade(variant, variant.resolve(faulty.path), sandbox, repeat, grade)
            rows.append(judge_faulty(variant, result, solution=faulty.path + tag, fails=faulty.fails, source=source))
    return rows


def expected_rows(assignment_paths: Sequence[Path]) -> int:
    """How many rows `validate` will produce (for a progress line): schema, reference and each faulty
    solution per file; one row for a file that does not load."""
    from grader.spec.loader import load_assignment

    total = 0
    for path in assignment_paths:
        try:
            total += 1 + sum(1 + len(v.faulty) for v in load_assignment(Path(path)).resolved_variants())
        except SpecError:
            total += 1
    return total


def validate(
    assignment_paths: Sequence[Path],
    *,
    sandbox: Sandbox,
    repeat: int | None = None,
    grade: Grader | None = None,
    progress: Callable[[ValidationRow], None] | None = None,
    jobs: int = 1,
) -> list[ValidationRow]:
    """Validate each assignment file (`jobs` at a time); rows come back in the order of the files."""

    def one(path: Path) -> list[ValidationRow]:
        found = validate_assignment(Path(path), sandbox=sandbox, repeat=repeat, grade=grade)
        if progress is not None:
            for row in found:
                progress(row)
        return found

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="validate") as pool:
        per_file = list(pool.map(one, assignment_paths))
    return [row for rows in per_file for row in rows]


# ----- reporting -----

def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def to_table(rows: Sequence[ValidationRow]) -> str:
    """A plain-text table, one line per row, and a closing 'N passed, N failed' line."""
    header = ("assignment", "solution", "expects", "verdict", "detail")
    body = []
    for row in rows:
        if row.role == "schema":
            expects = "valid"
        elif row.role == "reference":
            expects = "full marks"
        else:
            expects = "fails " + ", ".join(row.declared)
        body.append((row.assignment, row.solution, expects, "ok" if row.ok else "FAIL", row.detail))
    widths = [
        min(max([len(header[i])] + [len(r[i]) for r in body]), cap)
        for i, cap in enumerate((28, 36, 60, 7, 160))
    ]
    lines = ["  ".join(_cell(h, w).ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths[:4]) + "  " + "-" * 6)
    for r in body:
        lines.append("  ".join(_cell(v, w).ljust(w) for v, w in zip(r, widths)).rstrip())
    failing = [r for r in rows if not r.ok]
    if failing:
        lines.append("")
        lines.append("Problems:")
        for row in failing:
            lines.append(f"  {row.assignment} {row.solution}:")
            for check in row.problems or []:
                lines.append(f"    {check.check}: expected {check.expected}, got {check.status}: {_short(check.message, 300)}")
            if not row.problems:
                lines.append(f"    {_short(row.detail, 600)}")
    passed = len(rows) - len(failing)
    lines.append("")
    lines.append(f"validate: {passed} passed, {len(failing)} failed")
    return "\n".join(lines)


def to_junit(rows: Sequence[ValidationRow], *, hostname: str | None = None) -> str:
    """JUnit XML (grader.report.junit's writer): a testsuite per assignment, a testcase per row, a
    <failure> per row that is not ok; each row's one-line verdict goes to the suite's system-out."""
    from grader.report.junit import Case, Suite, junit_document

    suites: dict[str, Suite] = {}
    for row in rows:
        suite = suites.setdefault(row.assignment, Suite(name=row.assignment, properties=[("source", row.source)]))
        case = Case(classname=row.assignment, name=f"{row.role}: {row.solution}", seconds=row.duration_ms / 1000)
        if not row.ok:
            lines = [f"{c.check}: expected {c.expected}, got {c.status}: {c.message}" for c in row.problems]
            case.failure = (row.detail, row.role, "\n".join(lines) or row.detail)
        suite.cases.append(case)
        suite.seconds += row.duration_ms / 1000
        suite.system_out += f"{'ok' if row.ok else 'FAIL'} {row.role} {row.solution}: {row.detail}\n"
    return junit_document(list(suites.values()), name="grader validate", hostname=hostname)
