"""Gradescope export: results.json from a Result, and the /autograder entry point.

Field names and types follow Gradescope's autograder specification ("Output format"):
top level score (number), execution_time (seconds), output (string), output_format,
test_output_format, stdout_visibility, extra_data (object), tests (array); each test
name, score, max_score, status ("passed" | "failed"), output, visibility
("visible" | "hidden" | "after_due_date" | "after_published").
Gradescope enforces visibility itself, so a hidden test carries its full output here;
Gradescope shows students nothing of it (our HTML page shows its name and score).
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from grader.report.excerpt import clean_text, make_excerpt
from grader.report.race import race_in_test, race_in_test_sentence, race_of, race_sentence
from grader.result import CheckResult, Diagnosis, Result, TestResult

__all__ = [
    "GRADESCOPE_VISIBILITY",
    "internal_error_results",
    "run_gradescope",
    "to_gradescope",
]

GRADESCOPE_VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")
MAX_OUTPUT_CHARS = 30_000          # keep each test's output readable in Gradescope's <pre>
STATUS_WORDS = {"passed": "PASSED", "failed": "FAILED", "flaky": "RACE", "error": "ERROR"}
TREE_LINES = 40                    # the process tree under a failed test: at most this many lines
TREE_DEPTH = 12                    # and this many generations; the rest is counted, not drawn


def _clean(text: str | None) -> str:
    return "" if text is None else clean_text(text)[0]


def _cap(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return text[:MAX_OUTPUT_CHARS] + "\n[... output cut at 30000 characters ...]"


def _diagnosis_lines(diagnoses: list[Diagnosis]) -> list[str]:
    return [f"Why: {_clean(d.message)}" for d in diagnoses]


def _check_lines(check: CheckResult) -> list[str]:
    name = _clean(check.label) or check.kind
    word = STATUS_WORDS.get(check.status, check.status.upper())
    race = race_of(check)
    if race is not None:
        lines = [f"[{word}] {name}: {_clean(race_sentence(race).text)}"]
        if race.detail:
            where = f"in run {race.shown_run}: " if race.shown_run else ""
            lines.append(f"    {where}{_clean(race.detail)}")
    else:
        lines = [f"[{word}] {name}: {_clean(check.message)}"]
        if check.total_runs > 1:
            lines.append(f"    passed in {check.passed_runs} of {check.total_runs} runs")
    if check.expected is not None:
        lines.append(f"    expected: {_clean(check.expected)}")
    if check.observed is not None:
        lines.append(f"    observed: {_clean(check.observed)}")
    if check.hint and check.status != "passed":
        lines.append(f"    hint: {_clean(check.hint)}")
    return lines


def _test_output(test: TestResult) -> str:
    lines: list[str] = []
    race = race_in_test(test)
    if race is not None:
        lines.append(race_in_test_sentence(race))
    if test.message:
        # "This test could not run: not run: ..." would say it twice.
        message = test.message.removeprefix("not run: ").removeprefix("the test could not be run: ")
        lines.append(f"This test could not run: {_clean(message)}")
    if test.status != "passed":                               # a cause explains a failure, never a pass
        lines.extend(_diagnosis_lines(test.diagnoses))
    for check in test.checks:
        lines.extend(_check_lines(check))
    return _cap("\n".join(lines))


def _task_words(task: dict[str, Any]) -> str:
    """'pid 17: exit 0, reaped by pid 15' - only what the model recorded."""
    who = f"pid {task.get('pid')}" if task.get("kind") == "process" else f"thread {task.get('pid')}"
    execs = task.get("execs") or []
    if execs and isinstance(execs[-1], dict) and execs[-1].get("path"):
        who += f" ({_clean(str(execs[-1]['path']).rsplit('/', 1)[-1])})"
    facts: list[str] = []
    if task.get("stopped_by"):
        facts.append(f"stopped by the grader ({task['stopped_by']})")
    elif task.get("signal"):
        facts.append(f"killed by {task['signal']}")
    elif task.get("exit_code") is not None:
        facts.append(f"exit {task['exit_code']}")
    elif task.get("end") is None:
        facts.append("still running at the end")
    if task.get("kind") == "process" and task.get("reaped_by") is not None:
        facts.append(f"reaped by {task['reaped_by']}")
    if task.get("zombie"):
        facts.append("left a zombie")
    if task.get("orphan"):            # init is pid 1; any other adopter is a subreaper
        adopter = task.get("reparented_to")
        facts.append("orphan, adopted by init (pid 1)" if adopter == 1 else
                     f"orphan, adopted by pid {adopter}" if adopter is not None else "orphan")
    if task.get("runtime_helper"):
        facts.append("the language runtime's helper")
    return who + (": " + ", ".join(facts) if facts else "")


def process_tree_lines(execution: dict[str, Any] | None) -> list[str]:
    """The run's process/thread tree as indented text lines, drawn without recursion and bounded."""
    if not execution or not execution.get("tasks"):
        return []
    tasks = [t for t in execution["tasks"] if isinstance(t, dict)]
    by_pid = {t.get("pid"): t for t in tasks}
    below: dict[Any, list[dict[str, Any]]] = {}
    for t in tasks:
        parent = t.get("tgid") if t.get("kind") == "thread" else t.get("ppid")
        if parent in by_pid and parent != t.get("pid"):
            below.setdefault(parent, []).append(t)
    root = by_pid.get(execution.get("root")) or tasks[0]
    lines: list[str] = []
    stack: list[tuple[dict[str, Any], int]] = [(root, 0)]
    seen: set[Any] = set()
    while stack and len(lines) < TREE_LINES:
        task, depth = stack.pop()
        if task.get("pid") in seen:
            continue
        seen.add(task.get("pid"))
        lines.append("  " * min(depth, TREE_DEPTH) + ("- " if depth else "") + _task_words(task))
        kids = below.get(task.get("pid"), [])
        if depth >= TREE_DEPTH and kids:
            lines.append("  " * (TREE_DEPTH + 1) + "... deeper generations not drawn")
            continue
        stack.extend((kid, depth + 1) for kid in reversed(kids))
    left = len(tasks) - len(seen)
    if left > 0:
        lines.append(f"... and {left} more task(s) not drawn")
    return lines


_ENV = Environment(loader=PackageLoader("grader.report", "templates"), undefined=StrictUndefined,
                   autoescape=select_autoescape(default=True, default_for_string=True))


def _test_html(test: TestResult, text: str) -> str:
    """The test's text, and for a test that did not pass the process tree of its first run, as escaped HTML."""
    run = next((r for r in test.runs if r.execution), None) if test.status != "passed" else None
    tree = process_tree_lines(run.execution) if run is not None else []
    return _ENV.get_template("gradescope_test.html.j2").render(
        text=text, tree=tree, run=(run.index + 1) if run is not None else 0)


def _visibility(test: TestResult) -> str:
    return test.visibility if test.visibility in GRADESCOPE_VISIBILITY else "visible"


def to_gradescope(result: Result) -> dict[str, Any]:
    """A results.json object for Gradescope: one entry per test, its output escaped HTML (the checks and
    causes as text, and the process tree of a test that did not pass); the summary stays plain text."""
    summary: list[str] = [f"{_clean(result.assignment_title)}: {result.score:g} / {result.max_score:g} points"]
    if result.error:
        summary.append(f"The grader itself failed: {_clean(result.error)}. This is not your fault; "
                       "please tell your teaching staff.")
    summary.extend(_diagnosis_lines(result.diagnoses))
    if result.build_output:
        build = make_excerpt(result.build_output)
        summary.append("Compiler output:\n" + build.text)
    tests: list[dict[str, Any]] = []
    for number, test in enumerate(result.tests, start=1):
        tests.append({
            "name": _clean(test.name),
            "number": str(number),
            "score": float(test.score),
            "max_score": float(test.max_score),
            "status": "passed" if test.status == "passed" else "failed",
            "output": _test_html(test, _test_output(test)),
            "output_format": "html",
            "visibility": _visibility(test),
            "tags": sorted({check.kind for check in test.checks}),
        })
    return {
        "score": float(result.score),
        "execution_time": round(result.duration_ms / 1000.0, 3),
        "output": _cap("\n".join(summary)),
        "output_format": "text",
        "test_output_format": "html",
        "test_name_format": "text",
        "stdout_visibility": "hidden",
        "extra_data": {
            "assignment_id": result.assignment_id,
            "grader_version": result.grader_version,
            "submission_hash": result.submission_hash,
            "assignment_hash": result.assignment_hash,
            "max_score": float(result.max_score),
        },
        "tests": tests,
    }


def internal_error_results(error: BaseException | str) -> dict[str, Any]:
    """What results.json says when the grader could not produce a Result."""
    reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return {
        "score": 0.0,
        "output": "The autograder failed while grading this submission. This is not your fault; "
                  "please tell your teaching staff.\n\nInternal error: " + _clean(str(reason)),
        "output_format": "text",
        "stdout_visibility": "hidden",
        "extra_data": {"internal_error": True},
        "tests": [],
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def run_gradescope(*, root: Path = Path("/autograder"), grade_fn: Callable[[Path], Result]) -> int:
    """Grade root/submission with `grade_fn` and write root/results/results.json.

    Returns 0 when the submission was graded, 1 when the grader failed (results.json
    then says so, and the traceback goes to stderr for the staff's log).
    """
    results_path = root / "results" / "results.json"
    submission = root / "submission"
    try:
        if not submission.is_dir():
            raise FileNotFoundError(f"no submission folder at {str(submission)!r}")
        result = grade_fn(submission)
        data = to_gradescope(result)
        json.dumps(data)                      # fail here, not half-way through writing
    except Exception as exc:  # noqa: BLE001 - any failure must still leave a results.json
        traceback.print_exc()
        _write_json(results_path, internal_error_results(exc))
        return 1
    _write_json(results_path, data)
    return 0 if result.error is None else 1
