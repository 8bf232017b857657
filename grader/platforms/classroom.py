"""GitHub Classroom: a graded submission as one autograding "runner" result.

GitHub Classroom's workflow ends with `classroom-resources/autograding-grading-reporter`, which
reads, for each runner id R listed in its `runners` input, the environment variable
`R_RESULTS` (upper case): base64 of a JSON object
    {"version": 1, "status": "pass"|"fail"|"error", "max_score": N,
     "tests": [{"name", "status", "score", "message", ...}]}
(src/main.js). It adds up max_score and every test's score and posts the notice
"Points X/Y" (title "Autograding complete"), which is what Classroom records
(src/notify-classroom.js). `grader classroom` prints that same line and writes the runner
result to $GITHUB_OUTPUT as `result`, so a workflow passes `${{ steps.<id>.outputs.result }}`
to the reporter.

The Actions log of a student's repository is the student's to read: a hidden test keeps its
name and score only.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.report.excerpt import clean_text
from grader.result import Result

__all__ = ["error_result", "points_line", "run_classroom", "to_classroom", "write_github_output"]


def _text(value: object) -> str:
    return clean_text(str(value or ""))[0].encode("utf-8", "replace").decode("utf-8")


def _points(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 2)


def to_classroom(result: Result) -> dict[str, Any]:
    """The runner result object the grading reporter reads."""
    from grader.report.gradescope import _test_output

    tests: list[dict[str, Any]] = []
    for test in result.tests:
        shown = test.visibility == "visible"
        tests.append({
            "name": _text(test.name),
            "status": "pass" if test.status == "passed" else ("error" if test.status == "error" else "fail"),
            "score": _points(max(0.0, test.score)),
            "message": _text(_test_output(test)) if shown else "The details of this test are hidden.",
            "test_code": "",
            "filename": "",
            "line_no": 0,
            "execution_time": "",
        })
    if result.error:
        status = "error"
    elif result.score >= result.max_score:
        status = "pass"
    else:
        status = "fail"
    return {"version": 1, "status": status, "max_score": _points(result.max_score), "tests": tests}


def points_line(result: Result) -> str:
    """'Points X/Y' exactly as the reporter will post it: the sum of the tests' scores (each to
    two decimals, as in the runner result) over the maximum. A sum of decimals can carry the
    reporter's floating-point noise (3.3300000000000005): it is printed as the reporter prints it."""
    data = to_classroom(result)
    total = 0.0
    for test in data["tests"]:          # added in the reporter's order, in the same IEEE doubles
        total += test["score"]
    return f"Points {_js_number(total)}/{_js_number(data['max_score'])}"


def _js_number(value: float) -> str:
    """A number as JavaScript's String() writes it (1, 2.5, 3.3300000000000005)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def encoded(data: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(data, ensure_ascii=False).encode("utf-8")).decode("ascii")


def write_github_output(data: dict[str, Any], *, name: str = "result", path: str | None = None) -> Path | None:
    """Append `name=<base64 JSON>` to $GITHUB_OUTPUT (None when not in a workflow)."""
    target = path or os.environ.get("GITHUB_OUTPUT")
    if not target:
        return None
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(f"{name}={encoded(data)}\n")
    return Path(target)


def error_result(message: str, *, max_score: float, student: bool) -> dict[str, Any]:
    """A runner result when no Result exists: 0 of max_score, the reason as one test's message."""
    text = (f"Your submission could not be graded: {_text(message)}" if student else
            f"The grader itself failed: {_text(message)}. This is not your fault; please tell your teaching staff.")
    return {"version": 1, "status": "error", "max_score": _points(max_score),
            "tests": [{"name": "submission", "status": "error", "score": 0, "message": text, "test_code": "",
                       "filename": "", "line_no": 0, "execution_time": ""}]}


def run_classroom(assignment: Path, submission: Path, *, make_sandbox: Callable[[], Any], repeat: int | None = None,
                  echo: Callable[[str], None] = print) -> int:
    """Grade, print the summary and 'Points X/Y', and always leave a runner result in
    $GITHUB_OUTPUT (the reporter fails on an empty one). 0 when graded, 2 otherwise."""
    from grader.api import grade_path
    from grader.errors import SubmissionError
    from grader.spec.loader import load_assignment

    spec = load_assignment(assignment)              # the course's own error: reported by the caller
    try:
        result = grade_path(assignment, submission, repeat=repeat, sandbox=make_sandbox())
    except SubmissionError as exc:
        data = error_result(exc.message, max_score=spec.max_score, student=True)
    except Exception as exc:  # noqa: BLE001 - the reporter still needs a result
        traceback.print_exc(file=sys.stderr)
        data = error_result(f"{type(exc).__name__}: {exc}", max_score=spec.max_score, student=False)
    else:
        from grader.cli import _summary

        echo(_summary(result))
        echo(points_line(result))
        write_github_output(to_classroom(result))
        return 2 if result.error else 0
    echo(data["tests"][0]["message"])
    echo(f"Points 0/{_js_number(data['max_score'])}")
    write_github_output(data)
    return 2
