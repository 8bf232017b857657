"""AddressSanitizer (memory.safe) and UndefinedBehaviorSanitizer (ub.none) on the real engine: the build,
the report read from the root-only log, a printed fake report, a program that erases its log."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.grading import grade
from grader.result import CheckResult, Result
from grader.spec.loader import load_assignment

pytestmark = [pytest.mark.engine]

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "sanitize"
ADDRESS = DATA / "address"
UNDEFINED = DATA / "undefined"


def _grade(sandbox, folder: Path, program: str, tmp_path: Path) -> Result:
    stem = "mem" if folder == ADDRESS else "ub"
    submitted = tmp_path / f"sub-{folder.name}-{program}"
    submitted.mkdir()
    shutil.copy(folder / program / f"{stem}.c", submitted)
    return grade(load_assignment(folder / "assignment.yaml"), submitted, sandbox)


def _verdict(result: Result, kind: str) -> CheckResult:
    return next(c for t in result.tests for c in t.checks if c.kind == kind)


@pytest.mark.parametrize("program, said", [
    ("heap-overflow", "AddressSanitizer stopped the program at mem.c:11 in main(): a write of 4 bytes at byte 16 of "
                      "a 16-byte heap block, whose bytes are 0 to 15 (allocated at mem.c:7)"),
    ("use-after-free", "AddressSanitizer stopped the program at mem.c:18 in main(): a read of 8 bytes of a 16-byte "
                       "heap block that had already been freed at mem.c:17 (allocated at mem.c:12)"),
    ("double-free", "AddressSanitizer stopped the program at mem.c:12 in main(): it freed a 16-byte heap block a "
                    "second time (first freed at mem.c:11, allocated at mem.c:7)"),
    ("stack-overflow", "AddressSanitizer stopped the program at mem.c:8 in main(): a write of 4 bytes at byte 16 of "
                       "the local variable 'squares', whose 16 bytes are 0 to 15"),
])
def test_memory_safe_names_the_error_the_line_and_the_bytes(docker_sandbox, tmp_path: Path, program: str,
                                                            said: str) -> None:
    result = _grade(docker_sandbox, ADDRESS, program, tmp_path)
    verdict = _verdict(result, "memory.safe")
    assert verdict.status == "failed" and verdict.message == said, verdict.message
    assert result.tests[0].runs[0].exit_code == 66
    assert verdict.evidence[0].label == "what AddressSanitizer reported" and verdict.evidence[0].lines == [said]


def test_memory_safe_passes_a_clean_program(docker_sandbox, tmp_path: Path) -> None:
    verdict = _verdict(_grade(docker_sandbox, ADDRESS, "clean", tmp_path), "memory.safe")
    assert verdict.status == "passed", verdict.message


def test_a_leak_is_not_looked_for_under_the_tracer_and_the_verdict_says_so(docker_sandbox, tmp_path: Path) -> None:
    # LeakSanitizer stops threads with ptrace, which strace already holds: with detect_leaks=1 it only
    # reports "LeakSanitizer does not work under ptrace". The leak program passes, and is told leaks were
    # not checked; tests/unit/test_sanitize_memory.py parses a leak report recorded untraced.
    verdict = _verdict(_grade(docker_sandbox, ADDRESS, "leak", tmp_path), "memory.safe")
    assert verdict.status == "passed" and "leaks are not looked for" in verdict.message


def test_a_fake_asan_report_on_stdout_and_stderr_changes_nothing(docker_sandbox, tmp_path: Path) -> None:
    result = _grade(docker_sandbox, ADDRESS, "fake", tmp_path)
    run = result.tests[0].runs[0]
    assert b"ERROR: AddressSanitizer: heap-buffer-overflow" in run.stdout
    assert b"ERROR: AddressSanitizer: heap-buffer-overflow" in run.stderr
    assert _verdict(result, "memory.safe").status == "passed"


def test_erasing_a_childs_asan_report_is_caught(docker_sandbox, tmp_path: Path) -> None:
    result = _grade(docker_sandbox, ADDRESS, "tamper", tmp_path)
    run = result.tests[0].runs[0]
    assert b"list: Permission denied" in run.stdout    # the log directory cannot be read by the program
    assert b"truncate: ok" in run.stdout                # it did truncate its child's report...
    verdict = _verdict(result, "memory.safe")
    assert verdict.status == "failed"                   # ...and the trace shows it
    assert "was changed by the program (a second open of report." in verdict.message


@pytest.mark.parametrize("program, said", [
    ("signed-overflow", "UndefinedBehaviorSanitizer stopped the program at ub.c:8 in main(): signed integer overflow, "
                        "'2147450880 + 65536' does not fit in the type 'int'"),
    ("shift", "UndefinedBehaviorSanitizer stopped the program at ub.c:8 in main(): a shift of a 32-bit 'int' by 32 "
              "bits (the count must be less than 32)"),
])
def test_ub_none_names_the_undefined_behaviour_and_the_line(docker_sandbox, tmp_path: Path, program: str,
                                                            said: str) -> None:
    result = _grade(docker_sandbox, UNDEFINED, program, tmp_path)
    verdict = _verdict(result, "ub.none")
    assert verdict.status == "failed" and verdict.message == said, verdict.message
    assert result.tests[0].runs[0].exit_code == 66      # halt_on_error=1: the first report ends the program
    assert result.tests[0].runs[0].stderr == b""        # the report went to the log, not to stderr


def test_ub_none_passes_a_clean_program_and_ignores_a_printed_report(docker_sandbox, tmp_path: Path) -> None:
    assert _verdict(_grade(docker_sandbox, UNDEFINED, "clean", tmp_path), "ub.none").status == "passed"
    fake = _grade(docker_sandbox, UNDEFINED, "fake", tmp_path)
    assert b"runtime error: signed integer overflow" in fake.tests[0].runs[0].stderr
    assert _verdict(fake, "ub.none").status == "passed"


def test_erasing_a_childs_ubsan_report_is_caught(docker_sandbox, tmp_path: Path) -> None:
    result = _grade(docker_sandbox, UNDEFINED, "tamper", tmp_path)
    assert b"truncate: ok" in result.tests[0].runs[0].stdout
    verdict = _verdict(result, "ub.none")
    assert verdict.status == "failed" and "a second open of report." in verdict.message


def test_the_reference_and_faulty_solutions_validate(docker_sandbox) -> None:
    from grader.validate import validate

    rows = list(validate([ADDRESS / "assignment.yaml", UNDEFINED / "assignment.yaml"], sandbox=docker_sandbox,
                         jobs=1))
    assert len(rows) == 9 and all(r.ok for r in rows), [(r.role, r.solution, r.detail) for r in rows]
