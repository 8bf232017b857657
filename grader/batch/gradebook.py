"""Batch exports: per-student JSON/HTML/Gradescope/JUnit files and the LMS gradebook CSV.

The report stage's renderers are imported lazily, each behind one function here,
so the batch works (with a plain fallback page) before they exist.
"""

from __future__ import annotations

import csv
import functools
import importlib
import io
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from grader.batch.store import StoredResult
from grader.errors import GraderError
from grader.result import Result

__all__ = [
    "GRADES_CSV",
    "JUNIT_XML",
    "STUDENTS_DIR",
    "atomic_write",
    "grades_csv_text",
    "render_student_html",
    "student_dir",
    "student_page",
    "templates",
    "test_columns",
    "to_gradescope_json",
    "to_junit_xml",
    "write_grades_csv",
    "write_junit",
    "write_student_outputs",
]

STUDENTS_DIR = "students"
GRADES_CSV = "grades.csv"
JUNIT_XML = "junit.xml"
_SAFE_ID = re.compile(r"^[\w.@-]+$")


# ----------------------------------------------------------------- files


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a whole file or nothing: a killed batch never leaves half a CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def student_dir(out_dir: Path, student: str) -> Path:
    """students/<id>; refuses an id that could name another folder."""
    if not _SAFE_ID.match(student) or student in (".", ".."):
        raise ValueError(f"unsafe student id {student!r}")
    return out_dir / STUDENTS_DIR / student


def student_page(student: str) -> str:
    """The student's page, relative to the batch folder (what index.html links to)."""
    return f"{STUDENTS_DIR}/{student}/index.html"


# ----------------------------------------------------------------- renderers (lazy)


def _lazy(module: str, name: str) -> Callable[..., Any] | None:
    """The function, or None while the module does not exist yet (a bug inside it still raises)."""
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None
        raise
    found = getattr(loaded, name, None)
    return found if callable(found) else None


@functools.cache
def templates() -> Environment:
    """The batch's Jinja2 templates, autoescaped."""
    return Environment(
        loader=PackageLoader("grader.batch", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _fallback_page(result: Result, lang: str) -> str:
    return templates().get_template("student.html.j2").render(result=result, lang=lang)


def render_student_html(result: Result, *, lang: str = "en") -> str:
    """The student's feedback page (student audience: hidden tests stay hidden).

    grader.report.html when present, else a plain score page.
    """
    render = _lazy("grader.report.html", "render_html")
    if render is None:
        return _fallback_page(result.for_student(), lang)
    return str(render(result, lang=lang))


def to_gradescope_json(result: Result) -> str | None:
    """Gradescope results.json text, or None until grader.report.gradescope exists."""
    convert = _lazy("grader.report.gradescope", "to_gradescope")
    if convert is None:
        return None
    data = convert(result)
    return data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)


def to_junit_xml(results: Sequence[Result]) -> str | bytes | None:
    """One JUnit XML document for the class (a suite per student), or None until grader.report.junit exists."""
    convert = _lazy("grader.report.junit", "to_junit_xml")
    if convert is None:
        return None
    data = convert(list(results))
    return data if isinstance(data, (str, bytes)) else str(data)


# ----------------------------------------------------------------- per student


def write_student_outputs(out_dir: Path, stored: StoredResult, *, lang: str = "en") -> list[str]:
    """Write students/<id>/{result.json,index.html,results.json}; returns warnings."""
    folder = student_dir(out_dir, stored.student)
    result = stored.result
    warnings: list[str] = []
    atomic_write(folder / "result.json", json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    try:
        page = render_student_html(result, lang=lang)
    except GraderError:
        raise  # a bad option (unknown language) is the TA's to fix, not 300 warnings
    except Exception as exc:  # noqa: BLE001 - one broken page must not stop the class report
        warnings.append(f"{stored.student}: HTML report failed ({type(exc).__name__}: {exc}); plain page written")
        page = _fallback_page(result.for_student(), lang)
    atomic_write(folder / "index.html", page)
    try:
        gradescope = to_gradescope_json(result)
    except Exception as exc:  # noqa: BLE001 - an export bug is a warning, the grades still stand
        warnings.append(f"{stored.student}: Gradescope export failed ({type(exc).__name__}: {exc})")
    else:
        if gradescope is not None:
            atomic_write(folder / "results.json", gradescope)
    return warnings


def write_junit(out_dir: Path, stored: Sequence[StoredResult]) -> list[str]:
    """junit.xml for the whole class; returns warnings."""
    try:
        data = to_junit_xml([s.result for s in sorted(stored, key=lambda s: s.student)])
    except Exception as exc:  # noqa: BLE001 - an export bug is a warning, the grades still stand
        return [f"JUnit export failed ({type(exc).__name__}: {exc})"]
    if data is not None:
        atomic_write(out_dir / JUNIT_XML, data)
    return []


# ----------------------------------------------------------------- gradebook


def _number(value: float) -> str:
    """Points as an LMS reads them: 3 not 3.0, at most 4 decimals."""
    rounded = round(float(value), 4)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:g}"


def test_columns(results: Sequence[Result]) -> list[str]:
    """Test names in assignment order: the most complete result's order, then any others seen."""
    columns: list[str] = []
    for result in sorted(results, key=lambda r: -len(r.tests)):
        for test in result.tests:
            if test.name not in columns:
                columns.append(test.name)
    return columns


def grades_csv_text(stored: Sequence[StoredResult]) -> str:
    """student, score, max_score, one column per test; UTF-8, header row, no index column."""
    results = [s.result for s in stored]
    columns = test_columns(results)
    maxima = Counter(r.max_score for r in results if r.error is None and r.max_score > 0)
    class_max = maxima.most_common(1)[0][0] if maxima else 0.0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["student", "score", "max_score", *columns])
    for item in sorted(stored, key=lambda s: s.student):
        result = item.result
        by_name = {t.name: t for t in result.tests}
        max_score = result.max_score if result.max_score > 0 else class_max
        cells = [_number(by_name[c].score) if c in by_name else "" for c in columns]
        writer.writerow([item.student, _number(result.score), _number(max_score), *cells])
    return buffer.getvalue()


def write_grades_csv(out_dir: Path, stored: Sequence[StoredResult]) -> Path:
    path = out_dir / GRADES_CSV
    atomic_write(path, grades_csv_text(stored))
    return path
