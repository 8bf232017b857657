"""Gradebook files the LMSes import: Canvas, Moodle, Blackboard, and a generic CSV with one column per test.

Each file is UTF-8 with a byte-order mark, so Excel shows 김민준 rather than mojibake, and CRLF rows.

- Canvas ("Grades > Import"): ``Student, ID, SIS User ID, SIS Login ID, Section`` then one column
  named for the assignment; the second row is ``Points Possible`` as in Canvas's own export.
  Canvas matches a student by ID / SIS User ID / SIS Login ID; a new column name creates an assignment.
- Moodle ("Import > CSV file"): one identifier column mapped to a user field ("Email address" ->
  useremail, "ID number" -> useridnumber, "Username" -> username) and the grade column; a row with
  no identifier is left out (the TA is warned), as one unmapped row stops Moodle's whole import.
- Blackboard (Grade Center "Work Offline > Upload"): ``Username`` and the grade column, headed
  ``Title [Total Pts: N Score] |COLUMN_ID`` as Blackboard's download heads it (no ``|id`` creates a column).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["BOM", "EXPORTS", "GradebookRow", "blackboard_csv", "canvas_csv", "export_csv", "generic_csv",
           "moodle_csv"]

BOM = "\ufeff"
EXPORTS = ("canvas", "moodle", "blackboard", "csv")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "    Points Possible"
_MOODLE_IDS = ("Email address", "ID number", "Username")


@dataclass(slots=True)
class GradebookRow:
    """One student in the gradebook: graded, refused, or on the roster with no submission."""

    student: str                     # the batch's student id ("" for a roster student with no submission)
    name: str
    score: float
    max_score: float
    status: str                      # "graded" | "refused" | "error" | "missing" (no submission)
    tests: dict[str, float] = field(default_factory=dict)
    roster: dict[str, str] = field(default_factory=dict)   # the roster's row ({} when not on the roster)
    keys: dict[str, str] = field(default_factory=dict)     # the LMS's identifiers from the download
    notes: list[str] = field(default_factory=list)


def _number(value: float) -> str:
    rounded = round(float(value), 4)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:g}"


def _text(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return BOM + buffer.getvalue()


def _field(row: GradebookRow, *headers: str) -> str:
    folded = {k.strip().casefold(): v for k, v in row.roster.items()}
    for header in headers:
        if folded.get(header.casefold()):
            return folded[header.casefold()]
    return ""


def existing_column(kind: str, title: str, headers: Sequence[str]) -> str | None:
    """The roster's own column for this assignment, when the roster is that LMS's gradebook export.

    Canvas heads an assignment "Title (assignment id)" and Blackboard "Title [Total Pts: N Score] |column id";
    writing the same header makes the import update that column instead of creating a new one. For
    Blackboard the column id is returned, for Canvas the whole header.
    """
    wanted = title.strip().casefold()
    for header in headers:
        if kind == "canvas":
            match = re.match(r"^(?P<title>.+?) \((?P<id>\d+)\)$", header.strip())
            if match and match["title"].strip().casefold() == wanted:
                return header.strip()
        elif kind == "blackboard":
            match = re.match(r"^(?P<title>.+?) \[Total Pts: [^\]]*\] ?\|(?P<id>\d+)$", header.strip())
            if match and match["title"].strip().casefold() == wanted:
                return match["id"]
    return None


def canvas_csv(rows: Sequence[GradebookRow], title: str, points: float, column: str | None = None) -> str:
    """`column`: the assignment's header in Canvas's own export ("Title (123)"), else `title` (a new column)."""
    out: list[list[str]] = [[*CANVAS_COLUMNS, column or title], [CANVAS_POINTS_ROW, "", "", "", "", _number(points)]]
    for row in rows:
        out.append([
            _field(row, "Student") or row.name,
            _field(row, "ID") or row.keys.get("user_id", ""),
            _field(row, "SIS User ID"),
            _field(row, "SIS Login ID"),
            _field(row, "Section"),
            _number(row.score),
        ])
    return _text(out)


def moodle_identifier(rows: Sequence[GradebookRow]) -> str:
    """The user field the Moodle file identifies students by: the first one every rostered row has."""
    for header in _MOODLE_IDS:
        if rows and all(_field(r, header) for r in rows if r.roster):
            return header
    return _MOODLE_IDS[0]


def moodle_csv(rows: Sequence[GradebookRow], title: str) -> str:
    ident = moodle_identifier(rows)
    out = [[ident, title]]
    for row in rows:
        value = _field(row, ident) or (row.keys.get("email", "") if ident == "Email address" else "")
        if value:   # Moodle stops the whole import at a row it cannot map to a user
            out.append([value, _number(row.score)])
    return _text(out)


def blackboard_header(title: str, points: float, column_id: str | None = None) -> str:
    return f"{title} [Total Pts: {_number(points)} Score]" + (f" |{column_id}" if column_id else "")


def blackboard_csv(rows: Sequence[GradebookRow], title: str, points: float, column_id: str | None = None) -> str:
    out = [["Username", blackboard_header(title, points, column_id)]]
    for row in rows:
        username = _field(row, "Username") or row.keys.get("username", "") or row.keys.get("login", "")
        if username:
            out.append([username, _number(row.score)])
    return _text(out)


def generic_csv(rows: Sequence[GradebookRow], tests: Sequence[str]) -> str:
    out = [["student", "name", "roster_id", "status", "score", "max_score", *tests, "notes"]]
    for row in rows:
        out.append([row.student, row.name, row.roster.get("__id__", ""), row.status, _number(row.score),
                    _number(row.max_score), *(_number(row.tests[t]) if t in row.tests else "" for t in tests),
                    " | ".join(row.notes)])
    return _text(out)


def export_csv(kind: str, rows: Sequence[GradebookRow], *, title: str, points: float, tests: Sequence[str],
               roster_headers: Sequence[str] = ()) -> str:
    """The gradebook `kind` imports; `roster_headers` (an LMS's own export) name an existing column."""
    column_id = existing_column("blackboard", title, roster_headers)
    if kind == "canvas":
        return canvas_csv(rows, title, points, existing_column("canvas", title, roster_headers))
    if kind == "moodle":
        return moodle_csv(rows, title)
    if kind == "blackboard":
        return blackboard_csv(rows, title, points, column_id)
    if kind == "csv":
        return generic_csv(rows, tests)
    raise ValueError(f"unknown export {kind!r}")
