"""validate: which checks a faulty solution declares, how a graded Result is judged, the reports.

Pure: results are built by hand (or served by the ReplaySandbox); nothing here runs a program.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.checks import CHECK_TYPES
from grader.result import CheckResult, Result
from grader.result import TestResult as GradedTest
from grader.sandbox.base import SandboxResult
from grader.sandbox.records import BuildRecord
from grader.sandbox.replay import ReplaySandbox
from grader.spec.loader import load_assignment
from grader.validate import (
    declared_checks,
    faulty_coverage,
    judge_faulty,
    judge_reference,
    stage_submission,
    to_junit,
    to_table,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "assignments").glob("*/assignment.yaml"))

SPEC = """
id: demo
title: Demo
language: python
files: [hello.py]
run: [python3, hello.py]
tests:
  - name: counts
    points: 2
    checks:
      - output.count: {pattern: '^hello$', equals: 3}
      - process.count: 3
  - name: waits
    points: 1
    checks:
      - process.reaped: all
      - process.no_zombies: {id: zombies}
reference: solution/hello.py
faulty:
  - {path: faulty/no_wait.py, fails: [process.reaped, zombies]}
  - {path: faulty/double.py, fails: ["counts::output.count", "counts::process.count"]}
"""


@pytest.fixture()
def demo(tmp_path: Path):
    folder = tmp_path / "demo"
    for rel in ("solution/hello.py", "faulty/no_wait.py", "faulty/double.py"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(f"# {rel}\n", encoding="utf-8")
    (folder / "assignment.yaml").write_text(SPEC, encoding="utf-8")
    return folder / "assignment.yaml"


def _result(statuses: dict[str, list[str]], *, points: dict[str, float] | None = None) -> Result:
    """A Result whose tests have checks with the given statuses (kinds as in SPEC)."""
    kinds = {"counts": ["output.count", "process.count"], "waits": ["process.reaped", "process.no_zombies"]}
    points = points or {"counts": 2.0, "waits": 1.0}
    tests = []
    for name, states in statuses.items():
        checks = [CheckResult(kind=k, status=s, message=f"{k} {s}") for k, s in zip(kinds[name], states)]  # type: ignore[arg-type]
        score = points[name] if all(s == "passed" for s in states) else 0.0
        tests.append(GradedTest(name=name, status="passed" if score else "failed", score=score,
                                max_score=points[name], checks=checks))
    total = sum(t.score for t in tests)
    return Result(assignment_id="demo", assignment_title="Demo", submission="x", score=total,
                  max_score=sum(points.values()), tests=tests)


def test_declared_checks_by_kind_id_and_test_qualified_name(demo: Path) -> None:
    spec = load_assignment(demo)
    assert declared_checks(spec, ["process.reaped", "zombies"]) == {(1, 0), (1, 1)}
    assert declared_checks(spec, ["counts::process.count"]) == {(0, 1)}
    assert declared_checks(spec, ["waits::zombies"]) == {(1, 1)}
    assert declared_checks(spec, ["output.count", "counts::output.count"]) == {(0, 0)}


def test_reference_at_full_marks_is_ok(demo: Path) -> None:
    spec = load_assignment(demo)
    row = judge_reference(spec, _result({"counts": ["passed"] * 2, "waits": ["passed"] * 2}),
                          solution="solution/hello.py", source=str(demo))
    assert row.ok and row.role == "reference" and "full marks" in row.detail


@pytest.mark.parametrize("bad", ["flaky", "failed", "error"])
def test_reference_with_any_check_not_passed_is_not_ok(demo: Path, bad: str) -> None:
    spec = load_assignment(demo)
    row = judge_reference(spec, _result({"counts": ["passed", bad], "waits": ["passed"] * 2}),
                          solution="solution/hello.py", source=str(demo))
    assert not row.ok
    assert [c.check for c in row.problems] == ["counts::process.count"]


@pytest.mark.parametrize("caught", ["failed", "flaky"])
def test_faulty_failing_exactly_what_it_declares_is_ok(demo: Path, caught: str) -> None:
    spec = load_assignment(demo)
    row = judge_faulty(spec, _result({"counts": ["passed"] * 2, "waits": [caught, "failed"]}),
                       solution="faulty/no_wait.py", fails=["process.reaped", "zombies"], source=str(demo))
    assert row.ok, row.detail
    assert "2 declared" in row.detail


def test_faulty_that_passes_a_declared_check_is_not_ok(demo: Path) -> None:
    spec = load_assignment(demo)
    row = judge_faulty(spec, _result({"counts": ["passed"] * 2, "waits": ["failed", "passed"]}),
                       solution="faulty/no_wait.py", fails=["process.reaped", "zombies"], source=str(demo))
    assert not row.ok
    assert "declared but not failed: waits::zombies (passed)" in row.detail


def test_faulty_that_fails_an_undeclared_check_is_not_ok(demo: Path) -> None:
    spec = load_assignment(demo)
    row = judge_faulty(spec, _result({"counts": ["failed", "passed"], "waits": ["failed", "failed"]}),
                       solution="faulty/no_wait.py", fails=["process.reaped", "zombies"], source=str(demo))
    assert not row.ok
    assert "failed but not declared: counts::output.count (failed)" in row.detail


def test_an_error_never_counts_as_caught(demo: Path) -> None:
    spec = load_assignment(demo)
    row = judge_faulty(spec, _result({"counts": ["passed"] * 2, "waits": ["error", "failed"]}),
                       solution="faulty/no_wait.py", fails=["process.reaped", "zombies"], source=str(demo))
    assert not row.ok
    assert [c.check for c in row.problems] == ["waits::process.reaped"]


def test_stage_submission_names_a_lone_file_as_required(demo: Path, tmp_path: Path) -> None:
    spec = load_assignment(demo)
    folder = stage_submission(spec, demo.parent / "faulty/no_wait.py", tmp_path / "sub")
    assert sorted(p.name for p in folder.iterdir()) == ["hello.py"]
    assert (folder / "hello.py").read_text() == "# faulty/no_wait.py\n"


def test_stage_submission_copies_a_folder_as_it_is(demo: Path, tmp_path: Path) -> None:
    spec = load_assignment(demo)
    folder = stage_submission(spec, demo.parent / "solution", tmp_path / "sub")
    assert (folder / "hello.py").is_file()


def test_validate_runs_the_real_grading_on_replayed_runs(demo: Path) -> None:
    """A build that fails: grading never runs the program, and every check counts as failed."""
    failed_build = SandboxResult(build=BuildRecord(command=["gcc"], exit_code=1, output=b"x.c:1: error: oops",
                                                   wall_ms=5))
    sandbox = ReplaySandbox(failed_build)
    seen: list[str] = []
    rows = validate([demo], sandbox=sandbox, progress=lambda r: seen.append(r.role))
    assert seen == ["schema", "reference", "faulty", "faulty"]
    schema, reference, no_wait, double = rows
    assert schema.ok
    assert not reference.ok and "not run" in reference.detail
    # Each faulty solution declares only some checks; a failed build fails the others too.
    assert not no_wait.ok and "failed but not declared" in no_wait.detail
    assert not double.ok
    # Every solution went to the sandbox as a folder holding hello.py.
    assert len(sandbox.calls) == 3
    assert all(call.submission.name == "submission" for call in sandbox.calls)


def test_validate_with_an_injected_grader(demo: Path) -> None:
    outcomes = iter([
        _result({"counts": ["passed"] * 2, "waits": ["passed"] * 2}),
        _result({"counts": ["passed"] * 2, "waits": ["failed"] * 2}),
        _result({"counts": ["failed", "flaky"], "waits": ["passed"] * 2}),
    ])
    staged: list[str] = []

    def fake_grade(assignment, folder, sandbox, *, repeat=None, label=""):
        staged.append((folder / "hello.py").read_text())
        assert repeat == 2
        return next(outcomes)

    rows = validate([demo], sandbox=ReplaySandbox(SandboxResult()), repeat=2, grade=fake_grade)
    assert [r.ok for r in rows] == [True, True, True, True]
    assert staged == ["# solution/hello.py\n", "# faulty/no_wait.py\n", "# faulty/double.py\n"]
    table = to_table(rows)
    assert table.splitlines()[-1] == "validate: 4 passed, 0 failed"
    assert "faulty/double.py" in table


def test_an_invalid_assignment_is_one_failing_schema_row(tmp_path: Path) -> None:
    bad = tmp_path / "assignment.yaml"
    bad.write_text("id: x\ntitle: X\nlanguage: cobol\nfiles: [a]\nrun: [a]\ntests: []\n", encoding="utf-8")
    rows = validate([bad], sandbox=ReplaySandbox(SandboxResult()))
    assert len(rows) == 1 and rows[0].role == "schema" and not rows[0].ok
    assert "language" in rows[0].detail
    assert "validate: 0 passed, 1 failed" in to_table(rows)


def test_junit_has_a_suite_per_assignment_and_a_failure_per_bad_row(demo: Path) -> None:
    spec = load_assignment(demo)
    good = judge_reference(spec, _result({"counts": ["passed"] * 2, "waits": ["passed"] * 2}),
                           solution="solution/hello.py", source=str(demo))
    bad = judge_faulty(spec, _result({"counts": ["passed"] * 2, "waits": ["passed"] * 2}),
                       solution="faulty/no_wait.py", fails=["process.reaped", "zombies"], source=str(demo))
    root = ET.fromstring(to_junit([good, bad]))
    assert root.get("tests") == "2" and root.get("failures") == "1"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "demo"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["reference: solution/hello.py", "faulty: faulty/no_wait.py"]
    failure = cases[1].find("failure")
    assert failure is not None and "waits::process.reaped: expected fail, got passed" in (failure.text or "")


def test_junit_escapes_what_it_quotes(demo: Path) -> None:
    spec = load_assignment(demo)
    row = judge_reference(spec, Result(assignment_id="demo", assignment_title="Demo", submission="x", score=0,
                                       max_score=3, error='<boom> & "quotes"'),
                          solution="solution/hello.py", source=str(demo))
    root = ET.fromstring(to_junit([row]))
    assert '<boom> & "quotes"' in (root.find("testsuite/testcase/failure").get("message") or "")


# ----- the shipped library, read without running it -----

@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.parent.name)
def test_library_assignment_is_complete(path: Path) -> None:
    spec = load_assignment(path)
    folder = path.parent
    assert spec.id == folder.name
    assert (folder / "README.md").is_file() and (folder / "README.ko.md").is_file()
    for variant in spec.resolved_variants():      # each variant (python, c) is complete on its own
        assert all((folder / "starter" / f).is_file() for f in variant.files), "a starter for every required file"
        assert variant.reference is not None and (folder / variant.reference).is_file()
        assert len(variant.faulty) >= 2
        for faulty in variant.faulty:
            assert declared_checks(variant, faulty.fails), f"{faulty.path} declares no check"


def test_library_faulty_solutions_cover_every_check_kind() -> None:
    covered = faulty_coverage(load_assignment(p) for p in LIBRARY)
    missing = sorted(set(CHECK_TYPES) - set(covered))
    assert not missing, f"no faulty solution in the library fails these check kinds: {missing}"


def test_library_ids_are_unique() -> None:
    ids = [load_assignment(p).id for p in LIBRARY]
    assert len(ids) == len(set(ids)) >= 13
