"""PrairieLearn's results.json writer and GitHub Classroom's runner result, on built Results."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from grader.errors import UsageError
from grader.platforms import prairielearn as pl
from grader.platforms.classroom import encoded, points_line, to_classroom, write_github_output
from grader.result import CheckResult, Diagnosis, Result
from grader.result import TestResult as TR


def _result(**kw: Any) -> Result:
    tests = [
        TR("forks three", "passed", 2.0, 2.0, checks=[CheckResult("process.count", "passed", "3 processes")]),
        TR("reaps", "failed", 0.5, 2.0, checks=[CheckResult("process.zombies", "failed", "1 zombie")]),
        TR("secret", "failed", 0.0, 1.0, visibility="hidden",
                   checks=[CheckResult("output.exact", "failed", "expected 'TOPSECRET'")]),
    ]
    base: dict[str, Any] = {"assignment_id": "fork-hello", "assignment_title": "Fork", "submission": "s",
                            "score": 2.5, "max_score": 5.0, "tests": tests}
    base.update(kw)
    return Result(**base)


def test_the_format_has_prairielearns_fields_and_types() -> None:
    data = pl.to_prairielearn(_result())
    assert data["gradable"] is True
    assert data["score"] == pytest.approx(0.5)
    assert data["message"].startswith("Fork: 2.5 / 5 points")
    assert [(t["name"], t["points"], t["max_points"]) for t in data["tests"]] == [
        ("forks three", 2.0, 2.0), ("reaps", 0.5, 2.0), ("secret", 0.0, 1.0)]
    for test in data["tests"]:
        assert set(test) == {"name", "points", "max_points", "message", "output"}
        assert isinstance(test["output"], str) and isinstance(test["message"], str)
    assert "1 zombie" in data["tests"][1]["output"]
    assert data["tests"][1]["message"] == "Failed"


def test_a_hidden_tests_details_are_not_sent() -> None:
    data = pl.to_prairielearn(_result())
    assert "TOPSECRET" not in json.dumps(data)
    assert data["tests"][2]["output"] == "The details of this test are hidden."


@pytest.mark.parametrize(("score", "max_score", "expected"), [
    (7.0, 5.0, 1.0), (-1.0, 5.0, 0.0), (0.0, 0.0, 0.0), (5.0, 5.0, 1.0), (1.0, 3.0, 1 / 3)])
def test_the_score_is_a_fraction_within_0_and_1(score: float, max_score: float, expected: float) -> None:
    assert pl.to_prairielearn(_result(score=score, max_score=max_score))["score"] == pytest.approx(expected)


def test_students_text_is_plain_valid_json_without_control_characters(tmp_path: Path) -> None:
    nasty = "a\x1b[31mred\x1b[0m <script>alert(1)</script> & \udcff\x00 end"
    result = _result(tests=[TR(nasty, "failed", 0.0, 1.0,
                                       checks=[CheckResult("output.exact", "failed", nasty)])],
                     diagnoses=[Diagnosis("crash", nasty)], build_output=nasty.encode("utf-8", "surrogateescape"))
    path = tmp_path / "results" / "results.json"
    pl.write_results(path, pl.to_prairielearn(result))
    raw = path.read_bytes()
    raw.decode("utf-8")                                   # valid UTF-8: no lone surrogate survives
    data = json.loads(raw)
    text = json.dumps(data)
    assert "\\u001b" not in text and "\x1b" not in json.dumps(data, ensure_ascii=False)
    assert "\\u0000" not in text
    # PrairieLearn escapes HTML itself (ansi2html for message/output, mustache for name): sent as text, once.
    assert "<script>alert(1)</script>" in data["tests"][0]["output"]
    assert "&lt;" not in text
    assert "red" in data["tests"][0]["name"]


def test_results_stay_under_prairielearns_1_mb(tmp_path: Path) -> None:
    big = "x" * 29_000
    tests = [TR(f"t{i}", "failed", 0.0, 1.0, checks=[CheckResult("output.exact", "failed", big)])
             for i in range(60)]
    path = tmp_path / "results.json"
    pl.write_results(path, pl.to_prairielearn(_result(tests=tests, max_score=60.0)))
    assert path.stat().st_size <= pl.MAX_RESULTS_BYTES
    assert len(json.loads(path.read_text())["tests"]) == 60


def test_student_and_grader_failures() -> None:
    student = pl.student_error_results("the file 'x.zip' is not a readable zip archive")
    assert student["gradable"] is True and student["score"] == 0.0
    assert student["message"].startswith("Your submission could not be graded: the file")
    grader = pl.grader_error_results(RuntimeError("boom"))
    assert grader["gradable"] is False and "score" not in grader
    assert "not your fault" in grader["message"] and "RuntimeError: boom" in grader["format_errors"][0]


def test_the_grader_failing_is_not_gradable_and_a_refusal_is_the_students(tmp_path: Path) -> None:
    from grader.errors import SubmissionError

    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "assignment.yaml").write_text("x: 1\n")
    (tmp_path / "student").mkdir()
    (tmp_path / "student" / "hello.py").write_text("print(1)\n")

    def broken(_assignment: Path) -> Any:
        raise RuntimeError("engine gone")

    # Exit 0: PrairieLearn reads results.json only after a zero exit.
    assert pl.run_prairielearn(root=tmp_path, assignment=None, make_sandbox=broken, log=lambda _l: None) == 0
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert data["gradable"] is False and "engine gone" in data["format_errors"][0]

    def refused(_assignment: Path) -> Any:
        raise SubmissionError("the archive holds a path outside it")

    pl.run_prairielearn(root=tmp_path, assignment=None, make_sandbox=refused, log=lambda _l: None)
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert data["gradable"] is True and data["score"] == 0.0
    assert "the archive holds a path outside it" in data["message"]


def test_find_assignment_layouts(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        pl.find_assignment(tmp_path)
    shared = tmp_path / "serverFilesCourse" / "os" / "fork-hello"
    shared.mkdir(parents=True)
    (shared / "assignment.yaml").write_text("id: a\n")
    assert pl.find_assignment(tmp_path) == shared / "assignment.yaml"
    other = tmp_path / "serverFilesCourse" / "os" / "pipe"
    other.mkdir()
    (other / "assignment.yaml").write_text("id: b\n")
    with pytest.raises(UsageError, match="grader_assignment"):
        pl.find_assignment(tmp_path)
    named = {"params": {"grader_assignment": "serverFilesCourse/os/pipe/assignment.yaml"}}
    assert pl.find_assignment(tmp_path, named) == (other / "assignment.yaml").resolve()
    with pytest.raises(UsageError, match="outside"):
        pl.find_assignment(tmp_path, {"params": {"grader_assignment": "../../etc/passwd"}})
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "assignment.yaml").write_text("id: c\n")
    assert pl.find_assignment(tmp_path) == tmp_path / "tests" / "assignment.yaml"


def test_classroom_runner_result_is_what_the_reporter_adds_up(tmp_path: Path) -> None:
    result = _result()
    data = to_classroom(result)
    assert data["version"] == 1 and data["status"] == "fail" and data["max_score"] == 5
    assert [(t["name"], t["status"], t["score"]) for t in data["tests"]] == [
        ("forks three", "pass", 2), ("reaps", "fail", 0.5), ("secret", "fail", 0)]
    # The reporter: totalPoints = sum of tests[].score, maxPoints = max_score -> "Points X/Y".
    assert sum(t["score"] for t in data["tests"]) == result.score
    assert points_line(result) == "Points 2.5/5"
    assert "TOPSECRET" not in json.dumps(data)
    out = tmp_path / "github_output"
    write_github_output(data, path=str(out))
    name, value = out.read_text().strip().split("=", 1)
    assert name == "result" and json.loads(base64.b64decode(value)) == data
    assert encoded(data) == value
    thirds = _result(score=10 / 3, max_score=4.0, tests=[TR(f"t{i}", "failed", 10 / 9, 4 / 3) for i in range(3)])
    assert [t["score"] for t in to_classroom(thirds)["tests"]] == [1.11, 1.11, 1.11]
    assert points_line(thirds) == "Points 3.33/4"
    noisy = _result(score=0.3, max_score=2.0, tests=[TR("a", "failed", 0.1, 1.0), TR("b", "failed", 0.2, 1.0)])
    assert points_line(noisy) == "Points 0.30000000000000004/2"    # JavaScript's 0 + 0.1 + 0.2, as posted
    full = to_classroom(_result(score=5.0))
    assert full["status"] == "pass"
    assert to_classroom(_result(error="the sandbox failed"))["status"] == "error"


ASSIGNMENT = Path(__file__).resolve().parents[2] / "assignments" / "fork-hello" / "assignment.yaml"


def _decoded(path: Path) -> dict[str, Any]:
    name, value = path.read_text().strip().split("=", 1)
    assert name == "result"
    data: dict[str, Any] = json.loads(base64.b64decode(value))
    return data


def test_classroom_always_leaves_a_result_for_the_reporter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.platforms.classroom import run_classroom

    out = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    lines: list[str] = []
    corrupt = tmp_path / "submission.zip"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    assert run_classroom(ASSIGNMENT, corrupt, make_sandbox=lambda: object(), echo=lines.append) == 2
    data = _decoded(out)
    assert data["status"] == "error" and data["max_score"] == 4
    assert data["tests"][0]["message"].startswith("Your submission could not be graded: ")
    assert lines[-1] == "Points 0/4"

    out.unlink()

    def broken() -> Any:
        raise RuntimeError("no engine")

    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "hello.py").write_text("print(1)\n")
    assert run_classroom(ASSIGNMENT, folder, make_sandbox=broken, echo=lines.append) == 2
    data = _decoded(out)
    assert data["status"] == "error" and "not your fault" in data["tests"][0]["message"]
    assert "RuntimeError: no engine" in data["tests"][0]["message"]


def test_file_names_attribute_reads_back_as_pl_file_upload_reads_it() -> None:
    import csv
    from io import StringIO

    names = ["hello.py", "a,b.c", "Makefile"]
    raw = pl.file_names_attribute(names)
    reader = csv.reader(StringIO(raw), delimiter=",", escapechar="\\", quoting=csv.QUOTE_NONE,
                        skipinitialspace=True, strict=True)
    assert next(reader) == names
