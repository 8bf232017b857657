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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from grader.batch.store import StoredResult
from grader.errors import GraderError
from grader.intake.lms import LmsEntry
from grader.intake.roster import Roster, join_roster
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
    "write_lms_exports",
    "write_lms_manifest",
    "write_student_outputs",
]

STUDENTS_DIR = "students"
GRADES_CSV = "grades.csv"
LMS_MANIFEST = "lms.json"
LMS_EXPORT_FILES = {"canvas": "gradebook-canvas.csv", "moodle": "gradebook-moodle.csv",
                    "blackboard": "gradebook-blackboard.csv", "csv": "gradebook.csv"}
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


# ----------------------------------------------------------------- LMS gradebooks


def write_lms_manifest(out_dir: Path, *, layout: str, entries: Sequence[LmsEntry], roster: Roster | None,
                       exports: Sequence[str], title: str) -> Path:
    """lms.json: who each submission is (ids, names, notes), the roster and the exports asked for,
    so `grader report` rewrites the same gradebooks from the store."""
    path = out_dir / LMS_MANIFEST
    data = {"layout": layout, "title": title, "exports": list(exports),
            "entries": [e.to_json() for e in entries], "roster": roster.to_json() if roster else None}
    atomic_write(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return path


@dataclass(slots=True)
class _Submitted:
    student: str
    display_name: str
    keys: dict[str, str]
    notes: list[str]


def _status(item: StoredResult) -> str:
    return {"rejected": "refused", "internal_error": "error"}.get(item.outcome, "graded")


def lms_rows(stored: Sequence[StoredResult], manifest: dict[str, Any]) -> tuple[list[Any], list[str]]:
    """The gradebook rows (roster order, then submissions the roster lacks) and warnings for the TA."""
    from grader.report.lms import GradebookRow

    entries = {e["student"]: e for e in manifest.get("entries", [])}
    results = [s.result for s in stored]
    maxima = Counter(r.max_score for r in results if r.error is None and r.max_score > 0)
    class_max = maxima.most_common(1)[0][0] if maxima else 0.0
    by_student: dict[str, Any] = {}
    submitted: list[_Submitted] = []
    for item in sorted(stored, key=lambda s: s.student):
        entry = entries.get(item.student, {})
        result = item.result
        row = GradebookRow(student=item.student, name=entry.get("display_name") or item.student,
                           score=result.score, max_score=result.max_score if result.max_score > 0 else class_max,
                           status=_status(item), tests={t.name: t.score for t in result.tests},
                           keys=dict(entry.get("keys", {})), notes=list(entry.get("notes", [])))
        by_student[item.student] = row
        submitted.append(_Submitted(item.student, row.name, row.keys, row.notes))
    warnings: list[str] = []
    roster_data = manifest.get("roster")
    if not roster_data:
        return list(by_student.values()), warnings
    roster = Roster.from_json(roster_data)
    match = join_roster(roster, submitted)
    rows: list[Any] = []
    matched = {id(entry): student for student, entry in match.by_student.items()}
    for entry in roster.entries:
        student = matched.get(id(entry))
        if student is None:
            rows.append(GradebookRow(student="", name=entry.name, score=0.0, max_score=class_max, status="missing",
                                     roster={**entry.row, "__id__": entry.id},
                                     notes=["no submission was found for this student"]))
        else:
            row = by_student[student]
            row.roster = {**entry.row, "__id__": entry.id}
            row.name = entry.name or row.name
            rows.append(row)
    rows.extend(by_student[s] for s in match.unrostered)
    if match.missing:
        warnings.append(f"{len(match.missing)} students on the roster have no submission (0 in the gradebook): "
                        + ", ".join(e.name or e.id for e in match.missing[:10]))
    if match.unrostered:
        warnings.append(f"{len(match.unrostered)} submissions match no roster entry (kept in the gradebook, "
                        "with no roster id): " + ", ".join(match.unrostered[:10]))
    return rows, warnings


def write_lms_exports(out_dir: Path, stored: Sequence[StoredResult]) -> list[str]:
    """The gradebooks lms.json asks for (gradebook.csv too whenever there is a roster); returns warnings."""
    from grader.report.lms import export_csv

    path = out_dir / LMS_MANIFEST
    if not path.is_file():
        return []
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path} cannot be read ({exc}); no LMS gradebook was written"]
    exports = list(manifest.get("exports") or [])
    if manifest.get("roster") and "csv" not in exports:
        exports.append("csv")
    if not exports:
        return []
    rows, warnings = lms_rows(stored, manifest)
    results = [s.result for s in stored]
    title = manifest.get("title") or next((r.assignment_title for r in results if r.assignment_title), "Assignment")
    points = max((r.max_score for r in rows), default=0.0)
    for kind in exports:
        text = export_csv(kind, rows, title=title, points=points, tests=test_columns(results),
                          roster_headers=(manifest.get("roster") or {}).get("headers", []))
        atomic_write(out_dir / LMS_EXPORT_FILES[kind], text)
    fix = "add them to the roster" if manifest.get("roster") else "give --roster"
    if "canvas" in exports:
        no_id = [r.student for r in rows if not (r.keys.get("user_id") or r.roster.get("ID")
                                                 or r.roster.get("SIS User ID") or r.roster.get("SIS Login ID"))]
        if no_id:
            warnings.append(f"Canvas cannot match {len(no_id)} rows of {LMS_EXPORT_FILES['canvas']} that have no "
                            f"ID, SIS User ID or SIS Login ID ({fix}): " + ", ".join(no_id[:10]))
    for kind in ("moodle", "blackboard"):   # the rows these files leave out: no user to match them to
        if kind not in exports:
            continue
        kept = {r[0] for r in csv.reader(io.StringIO(export_csv(kind, rows, title=title, points=points,
                                                                     tests=[]).removeprefix("\ufeff")))}
        left_out = [r.student or r.name for r in rows
                    if not any(v in kept for v in (*r.roster.values(), *r.keys.values()) if v)]
        if left_out:
            warnings.append(f"{len(left_out)} students are left out of {LMS_EXPORT_FILES[kind]}: {kind.title()} "
                            f"has no user to match them to ({fix}): " + ", ".join(left_out[:10]))
    return warnings
