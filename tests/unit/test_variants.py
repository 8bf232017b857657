"""Variants: loading and resolving them, choosing one by the submitted files or by name, grading and
validating each, and the errors an author or a student sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import SpecError, UsageError
from grader.grading import grade
from grader.report.html import render_html
from grader.report.i18n import diagnosis_text
from grader.result import Result
from grader.sandbox.base import SandboxResult
from grader.sandbox.records import Limits, RunRecord
from grader.sandbox.replay import ReplaySandbox
from grader.spec import load_assignment, parse_assignment
from grader.submission import choose_variant, lone_file_name
from grader.validate import validate_assignment

ROOT = Path(__file__).resolve().parents[2]
FORK_HELLO = ROOT / "assignments" / "fork-hello" / "assignment.yaml"

TWO_WAYS = """
id: two-ways
title: Two ways
limits: {timeout: 2s, memory: 128MiB}
repeat: 2
tests:
  - name: it runs
    checks:
      - process.count: 1
variants:
  python:
    language: python
    files: [main.py]
    run: [python3, main.py]
  c:
    language: c
    files: [main.c, Makefile]
    build: [make]
    run: [./main]
    limits: {memory: 32MiB}
    repeat: 1
    tests:
      - name: it runs in C
        checks:
          - process.count: 1
          - process.exit_code: 0
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_assignment(text, source="a.yaml")
    return list(caught.value.problems)


def test_a_variant_changes_only_what_it_gives() -> None:
    spec = parse_assignment(TWO_WAYS)
    assert list(spec.variants) == ["python", "c"] and spec.all_files == ["main.py", "main.c", "Makefile"]
    python, c = spec.resolved_variants()
    assert (python.variant, python.language, python.files, python.run, python.build) == (
        "python", "python", ["main.py"], ["python3", "main.py"], None)
    assert [t.name for t in python.tests] == ["it runs"] and python.repeat == 2
    assert python.limits.to_limits() == Limits(timeout_ms=2000, memory_bytes=128 * 2**20)
    assert (c.variant, c.build, c.run, c.repeat) == ("c", ["make"], ["./main"], 1)
    # limits key by key: the variant's memory, the assignment's timeout
    assert c.limits.to_limits() == Limits(timeout_ms=2000, memory_bytes=32 * 2**20)
    assert [t.name for t in c.tests] == ["it runs in C"] and c.max_score == 1
    assert not c.variants and c.content_hash == spec.content_hash
    assert c.request_for(c.tests[0]).command == ("./main",)


def test_the_merged_library_assignments_resolve_to_their_old_settings() -> None:
    spec = load_assignment(FORK_HELLO)
    python, c = spec.resolved_variants()
    assert (python.files, python.build, python.limits.to_limits().memory_bytes) == (["hello.py"], None, 128 * 2**20)
    assert (c.files, c.build, c.limits.to_limits().memory_bytes) == (
        ["hello.c"], ["gcc", "-Wall", "-o", "hello", "hello.c"], 64 * 2**20)
    assert [t.name for t in python.tests] == [t.name for t in c.tests]
    assert c.reference == "solution/hello.c" and {f.path for f in c.faulty} >= {"faulty/syntax_error.c"}
    pipe = load_assignment(ROOT / "assignments" / "pipe-message" / "assignment.yaml").for_variant("c")
    assert pipe.limits.to_limits().timeout_ms == 1000 and pipe.run == ["./pipe"]


def test_an_unknown_variant_name_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="variants: python, c"):
        parse_assignment(TWO_WAYS).for_variant("rust")


def test_top_level_files_beside_variants_are_an_error_with_its_line() -> None:
    text = TWO_WAYS.replace("repeat: 2\n", "repeat: 2\nfiles: [main.py]\n")
    assert _problems(text) == [
        "a.yaml:6: files: with variants, 'files' belongs inside each variant (variants.<name>.files)"]


def test_a_variant_with_no_tests_to_share_is_an_error() -> None:
    text = TWO_WAYS.replace("tests:\n  - name: it runs\n    checks:\n      - process.count: 1\n", "", 1)
    (problem,) = _problems(text)
    assert problem.startswith("a.yaml:") and "variants.python.tests: this variant needs its own tests" in problem


def test_a_variant_faulty_solution_is_checked_against_that_variant(tmp_path: Path) -> None:
    (tmp_path / "bad.c").write_text("")
    text = TWO_WAYS + "    faulty:\n      - path: bad.c\n        fails: [process.exit_code, output.count]\n"
    with pytest.raises(SpecError) as caught:
        parse_assignment(text, source="a.yaml", folder=tmp_path)
    (problem,) = caught.value.problems
    assert "variants.c.faulty[0].fails[1]: no check is called 'output.count'" in problem
    assert problem.startswith(f"a.yaml:{len(text.splitlines())}:")


def test_a_variant_reference_must_exist(tmp_path: Path) -> None:
    text = TWO_WAYS.replace("    run: [python3, main.py]\n", "    run: [python3, main.py]\n    reference: gone.py\n")
    with pytest.raises(SpecError, match=r"variants\.python\.reference: file not found: 'gone.py'"):
        parse_assignment(text, source="a.yaml", folder=tmp_path)


def test_an_assignment_without_variants_still_needs_language_files_and_run() -> None:
    text = "id: x\ntitle: t\nlanguage: python\nfiles: [a.py]\ntests:\n  - name: n\n    checks:\n      - process.count: 1\n"
    assert _problems(text) == ["a.yaml:1: run: this required field is missing"]


def test_variant_checks_are_normalised_and_reported_where_they_are() -> None:
    text = TWO_WAYS.replace("          - process.exit_code: 0\n", "          - process.exit_cod: 0\n")
    (problem,) = _problems(text)
    assert "variants.c.tests[0].checks[1].process.exit_cod: unknown check kind" in problem
    assert "did you mean 'process.exit_code'?" in problem


# ----- choosing a variant -----

@pytest.mark.parametrize(("files", "chosen"), [
    (["main.py"], "python"),
    (["main.c", "Makefile", "notes.txt"], "c"),
    (["main.c"], "c"),                  # the closest variant, so the missing Makefile is named
    (["sub/main.py"], None),            # not where the variant wants it
])
def test_the_submitted_files_choose_the_variant(files: list[str], chosen: str | None) -> None:
    choice = choose_variant(parse_assignment(TWO_WAYS), files)
    if chosen is None:
        assert choice.problem is not None and choice.problem.code == "variant_none"
    else:
        assert choice.problem is None and choice.assignment.variant == chosen


def test_files_of_two_variants_are_a_problem_naming_both() -> None:
    choice = choose_variant(parse_assignment(TWO_WAYS), ["main.py", "main.c", "Makefile"])
    assert choice.problem is not None and choice.problem.code == "variant_ambiguous"
    message = choice.problem.message
    assert "python: main.py; c: main.c, Makefile" in message and "nothing was run" in message
    korean = diagnosis_text(choice.problem, "ko")
    assert korean.translated and "python: main.py; c: main.c, Makefile" in korean.text and "실행하지" in korean.text


def test_an_explicit_variant_wins_over_the_files() -> None:
    spec = parse_assignment(TWO_WAYS)
    assert choose_variant(spec, ["main.py", "main.c", "Makefile"], explicit="c").assignment.variant == "c"
    with pytest.raises(UsageError, match="has the variants python, c"):
        choose_variant(spec, [], explicit="rust")
    plain = parse_assignment(TWO_WAYS.split("variants:")[0] + "language: python\nfiles: [a.py]\nrun: [python3, a.py]\n")
    assert choose_variant(plain, []).assignment is plain
    with pytest.raises(UsageError, match="has no variants"):
        choose_variant(plain, [], explicit="python")


def test_a_lone_file_stands_for_the_variant_file_with_its_extension() -> None:
    spec = load_assignment(FORK_HELLO)
    assert lone_file_name(spec, Path("printf_before_fork.c")) == "hello.c"
    assert lone_file_name(spec, Path("mine.py")) == "hello.py"
    assert lone_file_name(spec, Path("notes.txt")) is None
    assert lone_file_name(spec, Path("mine.txt"), variant="c") == "hello.c"
    assert lone_file_name(parse_assignment(TWO_WAYS), Path("x.c")) is None    # the C variant wants two files


# ----- grading and validating a variant -----

def _sandbox() -> ReplaySandbox:
    runs = {name: [RunRecord(name=name, repeat_index=0, command=[], exit_code=0)] for name in
            ("it runs", "it runs in C")}
    return ReplaySandbox(SandboxResult(runs=runs))


def _submission(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "student"
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_text("\n")
    return folder


def test_grading_runs_the_chosen_variant_and_says_which(tmp_path: Path) -> None:
    sandbox = _sandbox()
    result = grade(parse_assignment(TWO_WAYS), _submission(tmp_path, "main.c", "Makefile"), sandbox, repeat=1)
    (call,) = sandbox.calls
    assert call.build == ["make"] and call.requests[0].command == ("./main",)
    assert call.limits.memory_bytes == 32 * 2**20
    assert result.variant == "c" and [t.name for t in result.tests] == ["it runs in C"]
    assert Result.from_json(result.to_json()).variant == "c"
    page = render_html(result, lang="en")
    assert 'data-variant="c"' in page and "Graded as the c version of the assignment." in page
    assert "이 과제의 c 버전으로 채점했습니다." in render_html(result, lang="ko")


def test_an_ambiguous_submission_runs_nothing_and_scores_zero(tmp_path: Path) -> None:
    sandbox = _sandbox()
    folder = _submission(tmp_path, "main.py", "main.c", "Makefile")
    result = grade(parse_assignment(TWO_WAYS), folder, sandbox)
    assert not sandbox.calls and result.score == 0 and result.variant is None
    assert result.diagnoses[0].code == "variant_ambiguous" and all(t.status == "failed" for t in result.tests)
    assert "python: main.py" in render_html(result, lang="en")
    assert grade(parse_assignment(TWO_WAYS), folder, _sandbox(), variant="python").variant == "python"


def test_the_closest_variant_names_its_missing_file(tmp_path: Path) -> None:
    result = grade(parse_assignment(TWO_WAYS), _submission(tmp_path, "main.c"), _sandbox())
    assert result.variant == "c" and result.diagnoses[0].code == "missing_files"
    assert "Makefile" in result.diagnoses[0].message


def test_validate_grades_each_variants_reference_and_faulty_solutions(tmp_path: Path) -> None:
    calls: list[tuple[str | None, str]] = []

    def fake_grade(assignment: object, folder: Path, sandbox: object, *, repeat: int | None, label: str) -> Result:
        from grader.spec.schema import Assignment

        assert isinstance(assignment, Assignment) and not assignment.variants
        calls.append((assignment.variant, sorted(p.name for p in folder.iterdir())[0]))
        return Result(assignment_id="fork-hello", assignment_title="", submission=label, score=0, max_score=4)

    rows = validate_assignment(FORK_HELLO, sandbox=ReplaySandbox(SandboxResult()), grade=fake_grade)
    spec = load_assignment(FORK_HELLO)
    assert [r.role for r in rows][:2] == ["schema", "reference"] and "variants python, c" in rows[0].detail
    assert calls[0] == ("python", "hello.py") and ("c", "hello.c") in calls
    assert len(calls) == sum(1 + len(v.faulty) for v in spec.resolved_variants())
    solutions = [r.solution for r in rows[1:]]
    assert "solution/hello.c (c)" in solutions and "faulty/syntax_error.c (c)" in solutions


def test_packaging_leaves_every_variants_solutions_home() -> None:
    import yaml

    from grader.platforms.bundle import assignment_files, strip_solutions

    stripped = yaml.safe_load(strip_solutions(FORK_HELLO.read_text()))
    assert set(stripped["variants"]) == {"python", "c"}
    assert all("reference" not in v and "faulty" not in v for v in stripped["variants"].values())
    assert stripped["variants"]["c"]["build"] == ["gcc", "-Wall", "-o", "hello", "hello.c"]
    _text, files = assignment_files(FORK_HELLO)
    shipped = {name for _source, name in files}
    assert "starter/hello.c" in shipped and not {n for n in shipped if n.startswith(("solution/", "faulty/"))}
